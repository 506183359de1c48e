// start's command line read without CLI11 (cli/start_line.cpp): whatever
// the arguments, a line the direct reader accepts is one CLI11 accepts too,
// with the same options. The input is the arguments after "start",
// separated by NUL bytes.

#include "start_line.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace daemoniker::cli;
    std::vector<std::string> args;
    const std::string input(reinterpret_cast<const char*>(data), size);
    for (std::size_t begin = 0; begin <= input.size();) {
        auto end = input.find('\0', begin);
        if (end == std::string::npos) end = input.size();
        args.push_back(input.substr(begin, end - begin));
        begin = end + 1;
    }
    if (args.size() > 64) return 0;

    const auto direct = read_start_line(args);
    if (!direct) return 0;
    const auto cli11 = cli11_start_line(args);
    if (!cli11) {
        std::fprintf(stderr, "start line fuzzer: CLI11 refuses a line the direct reader accepts\n");
        std::abort();
    }
    if (!(*cli11 == *direct)) {
        std::fprintf(stderr, "start line fuzzer: the readers disagree\n");
        std::abort();
    }
    return 0;
}
