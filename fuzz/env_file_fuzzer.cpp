// The --env-file parser of `daemoniker start` (cli/env_file.cpp): whatever
// the bytes, parsing ends in entries or in one message naming the file and
// a line; every entry is NAME=value with a valid name; and the entries,
// written back double-quoted, read back unchanged.

#include "common.hpp"
#include "env_file.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
    std::fprintf(stderr, "env file fuzzer: %s %s\n", what, detail.c_str());
    std::abort();
}

bool valid_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

// An entry as a line the parser reads back as it is: the value in double
// quotes, with the four characters that are special there escaped.
std::string quoted(const std::string& entry) {
    const auto eq = entry.find('=');
    std::string line = entry.substr(0, eq + 1) + "\"";
    for (char c : entry.substr(eq + 1)) {
        if (c == '"' || c == '\\' || c == '`' || c == '$') line += '\\';
        line += c;
    }
    return line + "\"\n";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> entries;
    try {
        entries = daemoniker::cli::parse_env_file(in, "f");
    } catch (const daemoniker::cli::Failure& e) {
        if (std::string_view(e.what()).rfind("--env-file: f:", 0) != 0) fail("a message without file and line:", e.what());
        return 0;
    }
    std::string again_text;
    for (const auto& entry : entries) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos || !valid_name(std::string_view(entry).substr(0, eq))) fail("a bad entry:", entry);
        again_text += quoted(entry);
    }
    std::vector<std::string> again;
    try {
        again = daemoniker::cli::parse_env_file(again_text, "f");
    } catch (const daemoniker::cli::Failure& e) {
        fail("the entries written back are refused:", e.what());
    }
    if (again != entries) fail("the entries written back read differently:", again_text);
    return 0;
}
