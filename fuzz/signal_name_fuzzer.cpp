// Signal names: daemoniker::parse_signal() (the six signals of the library)
// against an independent reading of its grammar, and the command's own table
// (cli/signal_names: every signal of the system), which must accept whatever
// the library accepts, with the same number, and round-trip its own names.

#include <daemoniker/signals.hpp>

#ifdef DAEMONIKER_FUZZ_CLI_SIGNALS
#include "signal_names.hpp"
#endif

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

using daemoniker::Signal;

[[noreturn]] void fail(const char* what, std::string_view in) {
    std::fprintf(stderr, "signal_name fuzzer: %s (input of %zu bytes)\n", what, in.size());
    std::abort();
}

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool equal_ci(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (upper(a[i]) != upper(b[i])) return false;
    return true;
}

// parse_signal's documented grammar: "TERM", "SIGTERM", any case, or the
// decimal number of one of the six signals; at most 16 characters.
std::optional<Signal> reference(std::string_view in) {
    if (in.empty() || in.size() > 16) return std::nullopt;
    bool digits = true;
    for (char c : in) digits = digits && c >= '0' && c <= '9';
    if (digits) {
        std::string_view d = in;
        while (d.size() > 1 && d.front() == '0') d.remove_prefix(1);
        if (d.size() > 3) return std::nullopt; // no signal number has 4 digits
        return daemoniker::signal_from_number(std::stoi(std::string(d)));
    }
    for (int i = 0; i < daemoniker::signal_count; ++i) {
        const auto s = static_cast<Signal>(i);
        const std::string_view name = daemoniker::to_string(s); // "SIGTERM"
        if (equal_ci(in, name) || equal_ci(in, name.substr(3))) return s;
    }
    return std::nullopt;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto sig = daemoniker::parse_signal(in);
    if (sig != reference(in)) fail("parse_signal disagrees with the grammar", in);
    if (sig) {
        if (daemoniker::parse_signal(daemoniker::to_string(*sig)) != sig) fail("name does not round-trip", in);
        if (daemoniker::signal_from_number(daemoniker::to_number(*sig)) != sig) fail("number does not round-trip", in);
    }
#ifdef DAEMONIKER_FUZZ_CLI_SIGNALS
    const auto number = daemoniker::cli::parse_signal_name(in);
    if (number && (*number <= 0 || *number >= NSIG)) fail("command: not a signal number", in);
    if (sig && number != daemoniker::to_number(*sig)) fail("command disagrees with the library", in);
    if (number) {
        const std::string name = daemoniker::cli::signal_name(*number);
        if (name.rfind("SIG", 0) == 0 && daemoniker::cli::parse_signal_name(name) != number)
            fail("command: name does not round-trip", in);
        if (daemoniker::cli::parse_signal_name(std::to_string(*number)) != number)
            fail("command: number does not round-trip", in);
    }
#endif
    return 0;
}
