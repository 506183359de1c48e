#pragma once
/// \file
/// The machinery behind daemonize(), daemonize_or_throw() and Daemonizer:
/// not part of the API, and free to change in any release. The three share
/// one sequence, detail::daemonize(), and the library exports one function
/// for it, start_daemon().

#include <daemoniker/codec.hpp>
#include <daemoniker/export.hpp>
#include <daemoniker/options.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace daemoniker::detail {

/// Which process returns from start_daemon().
enum class Role : unsigned char {
    original,   ///< the caller, after the daemon reported success (Original::is_parent only)
    daemon,     ///< the daemon, still holding the caller's memory (POSIX fork, foreground mode)
    relaunched, ///< a daemon the library started anew (Windows): the arguments came as bytes
};

/// What becomes of the original process.
enum class Original : unsigned char {
    ends,           ///< success: status 0; failure: status 1, one line on stderr (daemonize)
    ends_or_throws, ///< success: status 0; failure: the exception (daemonize_or_throw)
    is_parent,      ///< success: returns Role::original; failure: the exception (Daemonizer)
};

struct Started {
    Role role = Role::daemon;
    std::string payload; ///< the encoded arguments, in a re-launched daemon
};

/// Encodes the caller's arguments (`arguments` points at them); called in the
/// original process only where they travel as bytes (the Windows re-launch).
using EncodeFn = std::string (*)(const void* arguments);

/// Runs the platform's daemonization; the original process ends or
/// continues as `original` says. Throws (in the original process, unless it
/// ends) OptionError, AlreadyRunning, PidFileError, StartupError,
/// StartupTimeout, or what `encode` throws.
DAEMONIKER_API Started start_daemon(const std::filesystem::path& pid_file, const Options& options,
                                    Original original, EncodeFn encode, const void* arguments);

/// The encode–start–dispatch sequence of all three forms: the arguments in
/// the daemon (its own, or decoded where it was re-launched); empty in the
/// original process, which only Original::is_parent returns to.
template <class... Args>
std::optional<std::tuple<std::decay_t<Args>...>> daemonize(const std::filesystem::path& pid_file,
                                                           const Options& options, Original original,
                                                           Args&&... args) {
    using Refs = std::tuple<const std::decay_t<Args>&...>;
    const Refs refs{args...};
    const EncodeFn encode = [](const void* arguments) {
        return std::apply([](const auto&... a) { return daemoniker::encode(a...); },
                          *static_cast<const Refs*>(arguments));
    };
    Started started = start_daemon(pid_file, options, original, encode, &refs);
    if (started.role == Role::original) return std::nullopt;
    if (started.role == Role::relaunched) return daemoniker::decode<std::decay_t<Args>...>(started.payload);
    return std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...);
}

} // namespace daemoniker::detail
