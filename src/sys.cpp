// The system-call seam's fault injection (sys.hpp), compiled into the test
// build only.

#include "sys.hpp"
#include "steps.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <thread>

namespace daemoniker::detail::sys {

#ifdef DAEMONIKER_FAULT_INJECTION
namespace {
// "key" or "key:number" names `step`? Returns the number (or `fallback`), 0 if not.
int matches(const char* value, Step step, int fallback) noexcept {
    if (value == nullptr) return 0;
    const StepInfo* s = info(step);
    if (s == nullptr) return 0;
    const std::string_view key = s->key;
    const std::size_t n = key.size();
    if (std::strncmp(value, key.data(), n) != 0) return 0;
    if (value[n] == '\0') return fallback;
    if (value[n] != ':') return 0;
    int number = 0;
    for (const char* p = value + n + 1; *p >= '0' && *p <= '9'; ++p) number = number * 10 + (*p - '0');
    return number > 0 ? number : fallback;
}
} // namespace

int injected(Step step) noexcept {
    if (matches(std::getenv("DAEMONIKER_TEST_CRASH"), step, 1) != 0) {
        std::signal(SIGSEGV, SIG_DFL);
#ifndef _WIN32
        // Like a real fault, which the kernel delivers even where SIGSEGV is
        // blocked (the intermediate process runs with every signal blocked).
        sigset_t segv;
        sigemptyset(&segv);
        sigaddset(&segv, SIGSEGV);
        ::sigprocmask(SIG_UNBLOCK, &segv, nullptr);
#endif
        std::raise(SIGSEGV);
    }
    if (matches(std::getenv("DAEMONIKER_TEST_STALL"), step, 1) != 0)
        for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
#ifdef SIGSTOP
    // Stopped until the test sends SIGCONT: lets a test act (kill the
    // original, say) at a known point of a process it then resumes.
    if (matches(std::getenv("DAEMONIKER_TEST_PAUSE"), step, 1) != 0) std::raise(SIGSTOP);
#endif
    return matches(std::getenv("DAEMONIKER_TEST_FAIL"), step, EIO);
}
#else
int injected(Step) noexcept { return 0; }
#endif

} // namespace daemoniker::detail::sys
