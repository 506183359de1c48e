#include "helper_os.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace helper_os {

std::vector<std::string> arguments(int argc, char** argv) { return {argv, argv + argc}; }

std::int64_t current_pid() { return ::getpid(); }

std::string environment(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v != nullptr ? v : "(unset)";
}

namespace {

std::string link_target(const std::string& p) {
    char buf[4096];
    const auto n = ::readlink(p.c_str(), buf, sizeof buf - 1);
    return n < 0 ? std::string("?") : std::string(buf, static_cast<std::size_t>(n));
}

std::vector<int> fd_list() {
    std::vector<int> fds;
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr) return fds; // in a chroot without /proc
    const int own = ::dirfd(d);
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        const int fd = std::atoi(e->d_name);
        if (fd != own) fds.push_back(fd);
    }
    ::closedir(d);
    std::sort(fds.begin(), fds.end());
    return fds;
}

} // namespace

std::string platform_report() {
    std::ostringstream r;
    const mode_t mask = ::umask(0);
    ::umask(mask);
    std::string fds;
    std::string links;
    for (int fd : fd_list()) {
        fds += (fds.empty() ? "" : ",") + std::to_string(fd);
        struct stat st {};
        ::fstat(fd, &st);
        links += "fd" + std::to_string(fd) + "=" + link_target("/proc/self/fd/" + std::to_string(fd)) + "\n";
        links += "ino" + std::to_string(fd) + "=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + "\n";
    }
    r << "ppid=" << ::getppid() << "\n"
      << "sid=" << ::getsid(0) << "\n"
      << "pgid=" << ::getpgid(0) << "\n"
      << "umask=" << std::oct << mask << std::dec << "\n"
      << "fds=" << fds << "\n"
      << links;
    // Who the daemon is, and whether it may dump core.
    r << "uid=" << ::getuid() << "\neuid=" << ::geteuid() << "\ngid=" << ::getgid() << "\negid=" << ::getegid()
      << "\ngroups=";
    gid_t groups[256];
    const int n = ::getgroups(256, groups);
    for (int i = 0; i < n; ++i) r << (i ? "," : "") << groups[i];
    rlimit core{};
    ::getrlimit(RLIMIT_CORE, &core);
    auto limit = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
    r << "\ncore=" << limit(core.rlim_cur) << ":" << limit(core.rlim_max) << "\n";
#if defined(__linux__)
    r << "dumpable=" << ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) << "\n";
#endif
    return r.str();
}

bool lower_core_soft_limit() {
    rlimit core{};
    if (::getrlimit(RLIMIT_CORE, &core) != 0) return false;
    core.rlim_cur = 0;
    return ::setrlimit(RLIMIT_CORE, &core) == 0;
}

bool open_extra_descriptor() { return ::open("/dev/null", O_RDONLY) >= 0; } // deliberately not close-on-exec

bool remove_current_directory() {
    char tmpl[] = "/tmp/daemoniker-rmcwd-XXXXXX";
    return ::mkdtemp(tmpl) != nullptr && ::chdir(tmpl) == 0 && ::rmdir(tmpl) == 0;
}

std::int64_t start_worker() {
    const pid_t worker = ::fork();
    if (worker == 0) {
        ::alarm(30);
        for (;;) ::pause();
    }
    return worker;
}

struct StopWaiter::State {
    sigset_t set;
};

StopWaiter::StopWaiter(const std::string& /*pid_file*/) : state_(std::make_unique<State>()) {
    sigemptyset(&state_->set);
    sigaddset(&state_->set, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &state_->set, nullptr);
}

StopWaiter::~StopWaiter() = default;

bool StopWaiter::wait() {
    const timespec limit{60, 0};
    int got = -1;
    do {
        got = ::sigtimedwait(&state_->set, nullptr, &limit);
    } while (got < 0 && errno == EINTR);
    return got == SIGTERM;
}

bool wait_signalled(daemoniker::SignalHandler::native_handle_type handle, std::chrono::milliseconds timeout) {
    pollfd p{handle, POLLIN, 0};
    int ready = 0;
    do { // poll() is never restarted after a signal handler (SA_RESTART or not)
        ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (ready < 0 && errno == EINTR);
    return ready == 1;
}

[[noreturn]] void crash() {
    ::signal(SIGSEGV, SIG_DFL);
    ::raise(SIGSEGV);
    std::abort();
}

} // namespace helper_os
