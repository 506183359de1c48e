#include "sys.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <thread>

namespace daemoniker::detail::sys {

const char* step_key(Step step) noexcept {
    switch (step) {
    case Step::validate: return "validate";
    case Step::report_channel: return "report_channel";
    case Step::fork: return "fork";
    case Step::setsid: return "setsid";
    case Step::fork_again: return "fork_again";
    case Step::chdir: return "chdir";
    case Step::pid_file_open: return "pid_file_open";
    case Step::pid_file_lock: return "pid_file_lock";
    case Step::pid_file_write: return "pid_file_write";
    case Step::close_fds: return "close_fds";
    case Step::redirect_stdin: return "redirect_stdin";
    case Step::redirect_stdout: return "redirect_stdout";
    case Step::redirect_stderr: return "redirect_stderr";
    case Step::report: return "report";
    case Step::handoff: return "handoff";
    case Step::wait: return "wait";
    case Step::drop_privileges: return "drop_privileges";
    case Step::exec: return "exec";
    case Step::fork_program: return "fork_program";
    }
    return "unknown";
}

#ifdef DAEMONIKER_FAULT_INJECTION
namespace {
// "key" or "key:number" names `step`? Returns the number (or `fallback`), 0 if not.
int matches(const char* value, Step step, int fallback) noexcept {
    if (value == nullptr) return 0;
    const char* key = step_key(step);
    const std::size_t n = std::strlen(key);
    if (std::strncmp(value, key, n) != 0) return 0;
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
