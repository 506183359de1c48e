#pragma once
// One seam for system calls: EINTR retry, and the test-only fault injection
// that makes any daemonization step fail, crash or stall on request.

#include <daemoniker/errors.hpp>

#include <cerrno>

namespace daemoniker::detail::sys {

/// Calls `f` until it does not fail with EINTR.
template <class F>
auto retry(F f) {
    decltype(f()) r;
    do {
        r = f();
    } while (r == -1 && errno == EINTR);
    return r;
}

/// Fault injection, compiled in only with DAEMONIKER_FAULT_INJECTION (the
/// test build); otherwise it always returns 0 and costs nothing. The test
/// build reads, without allocating (it runs between fork and the report):
/// (step keys: steps.hpp)
///   DAEMONIKER_TEST_FAIL=<step key>[:<errno>]   the step fails (default EIO)
///   DAEMONIKER_TEST_CRASH=<step key>            SIGSEGV right before the step
///   DAEMONIKER_TEST_STALL=<step key>            the step never finishes
///   DAEMONIKER_TEST_PAUSE=<step key>            SIGSTOP right before the step
///                                               (POSIX; SIGCONT resumes it)
/// Returns the errno the step must fail with, or 0.
int injected(Step step) noexcept;

/// Runs `f` (a system call returning -1 on error) unless a fault is injected
/// for `step`, in which case it returns -1 with errno set and `f` never runs.
template <class F>
auto call(Step step, F f) {
    if (const int e = injected(step)) {
        errno = e;
        return static_cast<decltype(f())>(-1);
    }
    return f();
}

} // namespace daemoniker::detail::sys
