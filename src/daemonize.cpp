// Platform-independent half of daemonization: how failures are described and
// how the original process ends.

#include "confine.hpp"
#include "exec.hpp"
#include "pid_file_internal.hpp"
#include "startup.hpp"
#include "steps.hpp"

#include <daemoniker/daemonize.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>

#if defined(__GLIBCXX__) && defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE < 13 && !_GLIBCXX_INLINE_VERSION
// libstdc++ before GCC 13 gives every translation unit that includes
// <iostream> a static std::ios_base::Init, which constructs the eight standard
// streams and the classic locale when the program starts: ~0.1 ms and 14 page
// faults in every program that links daemonize(), whether it uses C++ streams
// or not (docs/benchmarks.md). The streams are only needed when the original
// process ends, and end_original() makes sure they exist there; so only their
// declarations, exactly as <iostream> has them.
#include <ostream>
namespace std {
extern ostream cout;
extern ostream clog;
} // namespace std
#define DAEMONIKER_LAZY_STREAMS 1
#else
#include <iostream> // no per-translation-unit initializer here
#endif

namespace daemoniker {
namespace detail {

std::string describe(std::error_code code) {
    if (!code) return "unknown reason";
    if (code.category() == std::system_category()) return system_message(code.value());
    return code.message();
}

void throw_failure(const Failure& failure, const Resolved& r) {
    const Step step = failure.step;
    const std::error_code code = failure.code();
    const bool ours = code.category() == category();
    const bool pid_file_step = is_pid_file_step(step);
    const bool refused = code == errc::unsafe_directory || code == errc::untrusted_owner || code == errc::writable_by_others;
    if (step == Step::pid_file_lock && failure.value != 0 && !ours)
        throw AlreadyRunning(r.pid_file, failure.value > 0 ? failure.value : 0);
    const auto& path = path_of(step, r);
    std::string what = "cannot start daemon: ";
    if (step == Step::drop_privileges && r.identity)
        throw StartupError(what + describe_drop(r.identity->credentials, failure.value) + ": " + describe(code), step,
                           path, code);
    what += to_string(step);
    if ((pid_file_step && ours) || (refused && !path.empty())) {
        what += " " + refusal_reason(path, code);
        if (code == errc::exited_holder && failure.value > 0) what += " (pid " + std::to_string(failure.value) + ")";
        if (pid_file_step) throw PidFileError(what, path, code);
        throw StartupError(what, step, path, code);
    }
    if (!path.empty()) what += " '" + path.string() + "'";
    what += ": " + describe(code);
    throw StartupError(what, step, path, code);
}

namespace {
// Flushes std::cout (and std::clog) where they may hold buffered output
// (after sync_with_stdio(false), or with a buffer of the program's own).
void flush_cxx_streams(bool with_clog) {
#ifdef DAEMONIKER_LAZY_STREAMS
    // Constructing an Init guarantees the streams exist; when the program
    // already uses them (its own <iostream> constructed an Init at start-up)
    // this is only a reference count.
    const std::ios_base::Init streams;
#endif
    std::cout.flush();
    if (with_clog) std::clog.flush();
}
} // namespace

void prepare_end_original() noexcept {
#ifdef DAEMONIKER_LAZY_STREAMS
    try {
        // Constructed once, kept: end_original()'s own Init is then only a count.
        static const std::ios_base::Init streams;
    } catch (...) { // end_original() tries again
    }
#endif
}

void end_original(int status) noexcept {
    try {
        flush_cxx_streams(true);
    } catch (...) { // a failing stream must not keep the process alive
    }
    std::fflush(nullptr);
    std::_Exit(status);
}

void fail_original(std::string_view what, int status) noexcept {
    try {
        flush_cxx_streams(false);
    } catch (...) {
    }
    std::fflush(stdout);
    std::fprintf(stderr, "daemoniker: %.*s\n", static_cast<int>(what.size()), what.data());
    end_original(status);
}

// Installed in the original process once it is the parent: an exception that
// escapes parent-only code without being caught ends in std::terminate, which
// does not unwind to the Daemonizer's destructor. Here the exception is still
// in flight, so its message can be printed.
[[noreturn]] void parent_terminate() noexcept {
    std::string what = "parent-only code failed with an exception that is not a std::exception";
    if (auto e = std::current_exception()) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            what = x.what();
        } catch (...) {
        }
    }
    fail_original(what, exit_parent_failed);
}

Started start_daemon(const std::filesystem::path& pid_file, const Options& options, Original original,
                     EncodeFn encode, const void* arguments) {
    Started started;
    try {
        if (transfers_payload() && !is_relaunched()) started.payload = encode(arguments);
        started.role = start(pid_file, options, started.payload);
    } catch (const std::exception& e) {
        if (original == Original::ends) fail_original(e.what(), exit_startup_failed);
        throw;
    }
    if (started.role == Role::original) {
        if (original != Original::is_parent) end_original(0);
        std::set_terminate(parent_terminate);
    }
    return started;
}

} // namespace detail

Daemonizer::Daemonizer() noexcept
    : is_setup_(!detail::is_relaunched()), uncaught_at_start_(std::uncaught_exceptions()) {}

Daemonizer::~Daemonizer() {
    if (!is_parent_) return;
    if (std::uncaught_exceptions() > uncaught_at_start_)
        detail::fail_original("parent-only code left the Daemonizer scope with an exception "
                              "(use daemoniker::with_daemonizer to see its message)",
                              exit_parent_failed);
    detail::end_original(0);
}

void Daemonizer::fail(std::string_view what) noexcept {
    if (is_parent_) detail::fail_original(what, exit_parent_failed);
}

} // namespace daemoniker
