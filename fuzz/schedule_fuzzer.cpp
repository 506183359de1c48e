// The stop schedule of `daemoniker stop --retry` (cli/schedule.cpp, with the
// command's signal names and seconds): whatever the text, parsing ends in a
// schedule or an error message; an accepted schedule sends a signal, waits
// no negative time, and reads back unchanged from its own to_string().

#include "schedule.hpp"

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
    std::fprintf(stderr, "schedule fuzzer: %s %s\n", what, detail.c_str());
    std::abort();
}

bool same(const daemoniker::cli::Schedule& a, const daemoniker::cli::Schedule& b) {
    if (a.repeat_from != b.repeat_from || a.items.size() != b.items.size()) return false;
    for (std::size_t i = 0; i < a.items.size(); ++i) {
        const auto& x = a.items[i];
        const auto& y = b.items[i];
        if (x.kind != y.kind || x.signal != y.signal || x.wait != y.wait) return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string error;
    const auto s = daemoniker::cli::parse_schedule(in, SIGTERM, error);
    if (!s) {
        if (error.empty()) fail("refused without a message");
        return 0;
    }
    bool signals = false;
    for (const auto& item : s->items) {
        if (item.kind == daemoniker::cli::ScheduleItem::Kind::signal) {
            signals = true;
            if (item.signal <= 0 || item.signal >= NSIG) fail("not a signal");
        } else if (item.wait.count() < 0) {
            fail("negative wait");
        }
    }
    if (!signals) fail("a schedule without a signal");
    if (s->repeat_from && *s->repeat_from >= s->items.size()) fail("forever repeats nothing");
    const std::string text = daemoniker::cli::to_string(*s);
    std::string again_error;
    const auto again = daemoniker::cli::parse_schedule(text, SIGTERM, again_error);
    if (!again) fail("to_string() is refused:", text + ": " + again_error);
    if (!same(*s, *again)) fail("to_string() reads back differently:", text);
    return 0;
}
