// --nice, --iosched, --rlimit on POSIX: the names of the resources this
// system has, and the I/O classes where Linux's ioprio_set exists.

#include "limits.hpp"

#include "common.hpp"

#include <charconv>
#include <cstdint>
#include <string_view>
#include <sys/resource.h>

namespace daemoniker::cli {
namespace {

struct Resource {
    std::string_view name;
    int resource;
};

// prlimit(1)'s names; those this system lacks are not listed.
constexpr Resource resources[] = {
    {"as", RLIMIT_AS},       {"core", RLIMIT_CORE},   {"cpu", RLIMIT_CPU},       {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE}, {"nofile", RLIMIT_NOFILE}, {"stack", RLIMIT_STACK},
#ifdef RLIMIT_NPROC
    {"nproc", RLIMIT_NPROC},
#endif
#ifdef RLIMIT_MEMLOCK
    {"memlock", RLIMIT_MEMLOCK},
#endif
#ifdef RLIMIT_RSS
    {"rss", RLIMIT_RSS},
#endif
#ifdef RLIMIT_LOCKS
    {"locks", RLIMIT_LOCKS},
#endif
#ifdef RLIMIT_SIGPENDING
    {"sigpending", RLIMIT_SIGPENDING},
#endif
#ifdef RLIMIT_MSGQUEUE
    {"msgqueue", RLIMIT_MSGQUEUE},
#endif
#ifdef RLIMIT_NICE
    {"nice", RLIMIT_NICE},
#endif
#ifdef RLIMIT_RTPRIO
    {"rtprio", RLIMIT_RTPRIO},
#endif
#ifdef RLIMIT_RTTIME
    {"rttime", RLIMIT_RTTIME},
#endif
};

std::string names() {
    std::string all;
    for (const auto& r : resources) {
        if (!all.empty()) all += ", ";
        all += r.name;
    }
    return all;
}

std::optional<std::int64_t> integer(std::string_view text) {
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    if (text.empty()) return std::nullopt;
    const auto res = std::from_chars(text.data(), end, value);
    if (res.ec != std::errc() || res.ptr != end) return std::nullopt;
    return value;
}

std::optional<std::uint64_t> limit_value(std::string_view text) {
    if (text == "unlimited" || text == "infinity") return UINT64_MAX;
    if (text.empty() || text[0] == '-' || text[0] == '+') return std::nullopt;
    std::uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto res = std::from_chars(text.data(), end, value);
    // A finite value must stay below what the system reads as unlimited.
    if (res.ec != std::errc() || res.ptr != end || static_cast<rlim_t>(value) == RLIM_INFINITY ||
        value == UINT64_MAX)
        return std::nullopt;
    return value;
}

} // namespace

int parse_nice(const std::string& text) {
    const auto v = integer(text);
    if (!v || *v < -20 || *v > 19) throw UsageError("--nice: '" + text + "' is not a nice value from -20 to 19");
    return static_cast<int>(*v);
}

detail::IoPriority parse_iosched(const std::string& text) {
#if !DAEMONIKER_HAVE_IOPRIO
    (void)text;
    throw UsageError("--iosched: I/O scheduling classes are not supported on this system");
#else
    const auto colon = text.find(':');
    const std::string_view name = std::string_view(text).substr(0, colon);
    detail::IoPriority p;
    p.text = text;
    if (name == "real-time" || name == "realtime" || name == "rt") p.io_class = 1;
    else if (name == "best-effort" || name == "be") p.io_class = 2;
    else if (name == "idle") p.io_class = 3;
    else
        throw UsageError("--iosched: '" + std::string(name) + "' is not an I/O scheduling class (real-time, best-effort, idle)");
    if (colon == std::string::npos) {
        p.level = p.io_class == 3 ? 0 : 4;
        return p;
    }
    const auto level = integer(std::string_view(text).substr(colon + 1));
    if (p.io_class == 3) throw UsageError("--iosched: the idle class takes no level ('" + text + "')");
    if (!level || *level < 0 || *level > 7) throw UsageError("--iosched: '" + text + "': the level is not 0 to 7");
    p.level = static_cast<int>(*level);
    return p;
#endif
}

detail::ResourceLimit parse_rlimit(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos) throw UsageError("--rlimit: '" + text + "' is not NAME=SOFT[:HARD]");
    const std::string_view name = std::string_view(text).substr(0, eq);
    detail::ResourceLimit l;
    l.text = text;
    bool known = false;
    for (const auto& r : resources)
        if (r.name == name) {
            l.resource = r.resource;
            known = true;
        }
    if (!known) throw UsageError("--rlimit: '" + std::string(name) + "' is not a resource of this system (" + names() + ")");
    const std::string_view values = std::string_view(text).substr(eq + 1);
    const auto colon = values.find(':');
    const auto soft = limit_value(values.substr(0, colon));
    const auto hard = colon == std::string_view::npos ? soft : limit_value(values.substr(colon + 1));
    if (!soft || !hard)
        throw UsageError("--rlimit: '" + text + "': a limit is a number, 'unlimited' or 'infinity'");
    if (*soft > *hard) throw UsageError("--rlimit: '" + text + "': the soft limit is above the hard one");
    l.soft = *soft;
    l.hard = *hard;
    return l;
}

} // namespace daemoniker::cli
