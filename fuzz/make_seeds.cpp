// Writes the seed corpora of the fuzzers (committed under fuzz/corpus/):
// valid inputs of every shape each parser knows, and a few near misses.
//
//   fuzz_make_seeds fuzz/corpus

#include "codec_layouts.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

void write(const fs::path& dir, const std::string& name, const std::string& bytes) {
    fs::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary) << bytes;
}

void seeds(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& items) {
    for (const auto& [name, bytes] : items) write(dir, name, bytes);
}

template <class... Ts>
std::string encoded(char selector, const std::tuple<Ts...>& t) {
    return selector + std::apply([](const auto&... v) { return daemoniker::encode(v...); }, t);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_make_seeds CORPUS_DIR\n");
        return 64;
    }
    const fs::path root = argv[1];

    seeds(root / "pid_file", {{"plain", "1234\n"},
                              {"one", "1\n"},
                              {"max", "2147483647\n"},
                              {"max-plus-one", "2147483648\n"},
                              {"no-newline", "31337"},
                              {"blanks-crlf", " \t42 \r\n"},
                              {"second-line", "77\nnot a pid\n"},
                              {"zero", "0\n"},
                              {"leading-zeros", "000123\n"},
                              {"negative", "-5\n"},
                              {"plus", "+5\n"},
                              {"hex", "0x10\n"},
                              {"empty", ""},
                              {"newline", "\n"},
                              {"nul", "12\0" "3\n"s},
                              {"windows", "4242\n133512345678901234\n"},
                              {"long-blanks", std::string(70, ' ') + "12\n"},
                              {"long-tail", "12" + std::string(70, ' ') + "x\n"}});

    seeds(root / "signal_name", {{"term", "TERM"},       {"sigterm", "SIGTERM"}, {"lower", "sigint"},
                                 {"mixed", "SiGaBrT"},   {"number", "15"},       {"zeros", "0002"},
                                 {"hup", "HUP"},         {"usr1", "usr1"},       {"usr2", "SIGUSR2"},
                                 {"kill", "KILL"},       {"rtmin", "RTMIN+2"},   {"rtmax", "SIGRTMAX-1"},
                                 {"zero", "0"},          {"big", "65"},          {"huge", "99999999999999"},
                                 {"sig", "SIG"},         {"sigsig", "SIGSIGTERM"}, {"empty", ""},
                                 {"nul", "TERM\0"s},     {"space", " TERM"},
                                 // Found by fuzzing: an int overflow (17 digits), and a number the
                                 // command refuses but the library reads (10 digits).
                                 {"overflow", "99999999999999999"}, {"long-number", "0000000001"}});

    const std::vector<std::string> words{"hello world", "\"quoted\"", "\xc3\xbc" "n\xc3\xaf" "code"};
    seeds(root / "codec",
          {{"scalars", encoded(0, fuzz::Scalars{true, -8, 200, -300, 60000, -70000, 4000000000u,
                                                std::numeric_limits<std::int64_t>::min(),
                                                std::numeric_limits<std::uint64_t>::max(), 'x', L'\u00e9', u'\u20ac',
                                                U'\U0001F600', fuzz::Color::blue, fuzz::low, 1.5f, -0.0,
                                                std::chrono::milliseconds(30000), std::chrono::duration<double>(2.5)})},
           {"texts", encoded(1, fuzz::Texts{"text", L"wide", u8"caf\u00e9", u"\u65e5\u672c", U"\U0001F600",
                                            "/run/app.pid", {"/", "relative/log", "/tmp/\xff-raw"}})},
           {"containers",
            encoded(2, fuzz::Containers{{1, -2, 300}, {true, false, true}, {"a", "bc"}, {0.5, -1e300},
                                        {1, 2, 3}, {}, {{"k", {1, -1}}, {"l", {}}}, {7, 9}, "opt", {42, "pair"},
                                        {}, {-1, "t"}, std::string("variant"), {}, {"localhost", 8080, "/tmp/s"},
                                        {}})},
           {"nested", encoded(3, fuzz::Nested{{std::nullopt, std::map<std::int32_t, std::string>{{1, "x"}}},
                                              {{std::monostate{}, std::string("s"), std::vector<std::int64_t>{5}}},
                                              std::optional<std::vector<fuzz::Endpoint>>{{{"h", 1, std::nullopt}}}})},
           {"everyday", encoded(4, fuzz::Everyday{42, "preserved arg", words})},
           {"unordered", encoded(5, fuzz::Unordered{{{1, "one"}, {2, "two"}}, {"a", "b"}, {{"k", {1, 2}}}})},
           {"empty-everyday", encoded(4, fuzz::Everyday{})},
           {"truncated", encoded(4, fuzz::Everyday{7, "cut", words}).substr(0, 9)},
           {"huge-count", "\x04\x02\xff\xff\xff\xff\x0f"s}});

    // The handoff as run_original writes it (see handoff_fuzzer.cpp).
    auto handoff = [](const std::vector<std::string>& paths, const std::string& payload) {
        std::string out;
        daemoniker::Encoder e(out);
        e.put(std::uint32_t{0x444d4e48});
        for (const auto& p : paths) e.put(fs::path(p));
        e.put(payload);
        return out;
    };
    const std::string payload = daemoniker::encode(42, "preserved arg"s, words);
    seeds(root / "handoff",
          {{"typical", handoff({"C:\\run\\app.pid", "C:\\", "NUL", "C:\\logs\\out.log", "NUL"}, payload)},
           {"unicode", handoff({"/tmp/caf\xc3\xa9.pid", "/", "/dev/null", "/dev/null", "/dev/null"}, payload)},
           {"no-args", handoff({"a.pid", ".", "NUL", "NUL", "NUL"}, daemoniker::encode(0, ""s, std::vector<std::string>{}))},
           {"bad-magic", "DMNX" + handoff({"a", "b", "c", "d", "e"}, "").substr(4)},
           {"trailing", handoff({"a", "b", "c", "d", "e"}, payload) + "x"}});

    seeds(root / "schedule", {{"default", "TERM/30/KILL/5"},
                              {"seconds", "10"},
                              {"fraction", "0.25"},
                              {"numbers", "-15/2.5/-9/1"},
                              {"forever", "HUP/1/forever/TERM/0.5"},
                              {"names", "SIGINT/3/sigterm/3/SIGRTMIN+2/1"},
                              {"empty-item", "TERM//KILL"},
                              {"forever-last", "TERM/1/forever"},
                              {"no-signal", "1/2"},
                              {"big", "TERM/99999999999/KILL/1e3"},
                              // Found by fuzzing: 520.2912 s -> 520292 ms -> "520.292" -> 520293 ms.
                              {"float-rounding", "TERM/520.2912"}});

    seeds(root / "notify", {{"ready", "READY=1"},
                            {"ready-status", "STATUS=serving\nREADY=1\n"},
                            {"status", "STATUS=warming up"},
                            {"errno", "STATUS=cannot bind\nERRNO=98"},
                            {"mainpid", "MAINPID=4242\nREADY=1"},
                            {"stopping", "STOPPING=1"},
                            {"reloading", "RELOADING=1\nMONOTONIC_USEC=123"},
                            {"malformed", "X=\n=y\nlower=1\nNOEQUALS\nERRNO=abc\nMAINPID=0"},
                            {"repeat", "READY=1\nREADY=0\nSTATUS=a\nSTATUS=b"},
                            {"nul", "READY=1\0junk"s},
                            {"blank-lines", "\n\nREADY=1\n\n"},
                            {"empty", ""}});
    return 0;
}
