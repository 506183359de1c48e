// Processes on POSIX: pidfds on Linux, /proc for liveness and age, kill()
// where neither exists.

#include "process.hpp"

#include "signal_names.hpp"

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <dirent.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace daemoniker::cli {
namespace {

// The fields of /proc/PID/stat after "(comm)": [0] is the state (field 3 in
// proc(5)), [19] the start time in clock ticks after boot (field 22).
std::optional<std::vector<std::string>> proc_stat(process_id pid, bool& no_proc) {
#if !DAEMONIKER_HAVE_PROC
    (void)pid;
    no_proc = true;
    return std::nullopt;
#endif
    no_proc = false;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    if (!in) {
        no_proc = ::access("/proc/self/stat", R_OK) != 0;
        return std::nullopt;
    }
    std::string line;
    std::getline(in, line);
    const auto close = line.rfind(')'); // the command name may hold spaces and parentheses
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 1));
    std::vector<std::string> out;
    for (std::string f; fields >> f;) out.push_back(f);
    if (out.size() < 20) return std::nullopt;
    return out;
}

std::optional<double> system_uptime() {
#if !DAEMONIKER_HAVE_PROC
    return std::nullopt;
#endif
    std::ifstream in("/proc/uptime");
    double up = 0;
    if (!(in >> up)) return std::nullopt;
    return up;
}

} // namespace

Process Process::pin(process_id pid, std::error_code& ec) {
    ec.clear();
    Process p;
    if (pid <= 0) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return p;
    }
    const int fd = detail::pidfd_open(static_cast<pid_t>(pid));
    if (fd < 0 && errno != ENOSYS) {
        ec.assign(errno, std::system_category());
        return p;
    }
    if (fd < 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        ec.assign(ESRCH, std::system_category());
        return p;
    }
    return adopt(pid, fd);
}

void Process::close_handle(native_handle_type handle) noexcept { ::close(handle); }

bool Process::wait_exit(clock::time_point deadline) const {
    if (pid_ <= 0) return true;
    if (handle_ >= 0) {
        // A pidfd becomes readable when the process exits, before anyone reaps it.
        for (;;) {
            pollfd p{handle_, POLLIN, 0};
            const int ready = ::poll(&p, 1, remaining_ms(deadline));
            if (ready < 0 && errno == EINTR) continue;
            // remaining_ms() caps a wait at 11 days: wait again until the deadline.
            if (ready == 0 && clock::now() < deadline) continue;
            return ready > 0;
        }
    }
    // No pidfd: poll the process table (a zombie counts as exited).
    for (;;) {
        if (is_alive(pid_) == false) return true;
        if (clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::error_code Process::signal(int signal) const {
    if (pid_ <= 0) return std::make_error_code(std::errc::no_such_process);
    int r = -1;
    if (handle_ >= 0) r = detail::pidfd_send_signal(handle_, signal);
    if (handle_ < 0 || (r != 0 && errno == ENOSYS)) {
        if (is_alive(pid_) == false) return {ESRCH, std::system_category()};
        r = ::kill(static_cast<pid_t>(pid_), signal);
    }
    return r == 0 ? std::error_code() : std::error_code(errno, std::system_category());
}

DaemonReading read_daemon(const std::filesystem::path& pid_file) {
    DaemonReading out;
    detail::PidFileReading reading;
    out.error = detail::read_pid_file(pid_file, reading);
    out.pid = reading.pid;
    if (out.error) return out;
    out.state = reading.state;
    if (reading.state == PidFileState::running) out.process = Process::adopt(reading.pid, reading.pidfd.release());
    return out;
}

bool has_process_groups() noexcept { return true; }

process_id process_group_of(const Process& process, std::error_code& ec) {
    ec.clear();
    const pid_t pgid = ::getpgid(static_cast<pid_t>(process.pid()));
    if (pgid < 0) {
        ec.assign(errno, std::system_category());
        return 0;
    }
    // Asked while the pin shows the process alive: its group existed then,
    // and a group's ID is not reused while any member lives.
    if (process.exited()) {
        ec.assign(ESRCH, std::system_category());
        return 0;
    }
    if (pgid <= 1 || pgid == ::getpgrp()) {
        ec = std::make_error_code(std::errc::operation_not_permitted);
        return 0;
    }
    return pgid;
}

std::error_code signal_group(process_id pgid, int signal) {
    if (pgid <= 1) return std::make_error_code(std::errc::invalid_argument);
    if (::kill(-static_cast<pid_t>(pgid), signal) == 0) return {};
    return {errno, std::system_category()};
}

std::optional<std::uint32_t> process_uid(process_id pid) {
#if !DAEMONIKER_HAVE_PROC
    (void)pid;
    return std::nullopt;
#endif
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Uid:", 0) == 0) {
            std::istringstream fields(line.substr(4));
            std::uint32_t real = 0;
            if (fields >> real) return real;
        }
    return std::nullopt;
}

namespace {
// Calls `stop_at(pid)` for each live member of process group `pgid` (its
// state in proc(5) is neither Z nor X) until it returns true; whether it
// did. nullopt when /proc cannot be read.
template <class F>
std::optional<bool> find_in_group(process_id pgid, F stop_at) {
#if !DAEMONIKER_HAVE_PROC
    return std::nullopt;
#endif
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return std::nullopt;
    const std::string group = std::to_string(pgid);
    bool found = false;
    while (const dirent* entry = ::readdir(proc)) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
        bool no_proc = false;
        const auto pid = std::strtoll(entry->d_name, nullptr, 10);
        const auto stat = proc_stat(pid, no_proc);
        // [0] state, [2] process group (fields 3 and 5 of proc(5)).
        if (!stat || (*stat)[2] != group || (*stat)[0] == "Z" || (*stat)[0] == "X") continue;
        if (stop_at(pid)) {
            found = true;
            break;
        }
    }
    ::closedir(proc);
    return found;
}
} // namespace

std::optional<std::uint32_t> foreign_member_uid(process_id pgid, std::uint32_t uid) {
    std::optional<std::uint32_t> foreign;
    find_in_group(pgid, [&](long long pid) {
        const auto member = process_uid(pid);
        if (member && *member != uid) foreign = member;
        return foreign.has_value();
    });
    return foreign;
}

bool group_members_checked() noexcept {
    // Without /proc the members are unknown; a caller other than root
    // reaches only processes it could signal one by one anyway.
    return DAEMONIKER_HAVE_PROC || ::geteuid() != 0;
}

bool group_alive(process_id pgid) {
    const auto alive = find_in_group(pgid, [](long long) { return true; });
    return alive ? *alive : ::kill(-static_cast<pid_t>(pgid), 0) == 0;
}

std::optional<bool> is_alive(process_id pid) {
    if (pid <= 0) return false;
    // A pidfd tells the thread group's end: a main thread that exited while
    // others run shows as a zombie in /proc, yet the process runs.
    const int pidfd = detail::pidfd_open(static_cast<pid_t>(pid));
    if (pidfd >= 0) {
        const bool exited = detail::pidfd_exited(pidfd);
        ::close(pidfd);
        return !exited;
    }
    if (errno == ESRCH) return false;
    bool no_proc = false;
    if (const auto stat = proc_stat(pid, no_proc)) return (*stat)[0] != "Z" && (*stat)[0] != "X";
    if (!no_proc) return false; // /proc works, and has no such process
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) return std::nullopt; // maybe a zombie
    return false;
}

bool is_exiting(process_id pid) {
    // An exiting process releases its memory before its descriptors
    // (do_exit: exit_mm, then exit_files); an exec replaces the memory
    // before it closes the close-on-exec descriptors. So after one of them
    // closed, a missing executable link means the process is dying.
#if !DAEMONIKER_HAVE_PROC
    (void)pid;
    return false;
#endif
    char link[64];
    char target[16];
    std::snprintf(link, sizeof link, "/proc/%lld/exe", static_cast<long long>(pid));
    if (::readlink(link, target, sizeof target) >= 0) return false;
    return errno == ENOENT && ::access("/proc/self/exe", F_OK) == 0;
}

std::optional<std::chrono::duration<double>> process_age(process_id pid) {
    bool no_proc = false;
    const auto stat = proc_stat(pid, no_proc);
    const auto up = system_uptime();
    const long hz = ::sysconf(_SC_CLK_TCK);
    if (!stat || !up || hz <= 0) return std::nullopt;
    try {
        const double started = static_cast<double>(std::stoull((*stat)[19])) / static_cast<double>(hz);
        return std::chrono::duration<double>(*up > started ? *up - started : 0.0);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<std::chrono::duration<double>> file_age(const std::filesystem::path& path) {
    struct stat st {};
    timespec now{};
    if (::stat(path.c_str(), &st) != 0 || ::clock_gettime(CLOCK_REALTIME, &now) != 0) return std::nullopt;
#if defined(__APPLE__)
    const timespec& mtime = st.st_mtimespec;
#else
    const timespec& mtime = st.st_mtim;
#endif
    const double modified = static_cast<double>(mtime.tv_sec) + static_cast<double>(mtime.tv_nsec) / 1e9;
    const double current = static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
    return std::chrono::duration<double>(current - modified);
}

bool become_subreaper() noexcept {
#if DAEMONIKER_HAVE_SUBREAPER
    return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
#else
    return false;
#endif
}

std::optional<std::string> reap_child(process_id pid) {
    int status = 0;
    pid_t r = -1;
    do {
        r = ::waitpid(static_cast<pid_t>(pid), &status, WNOHANG);
    } while (r == -1 && errno == EINTR);
    if (r != static_cast<pid_t>(pid)) return std::nullopt;
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
#ifdef WCOREDUMP // not in POSIX.1-2008; Linux, the BSDs and macOS have it
        return "was killed by " + signal_name(WTERMSIG(status)) + (WCOREDUMP(status) ? " (core dumped)" : "");
#else
        return "was killed by " + signal_name(WTERMSIG(status));
#endif
    return "ended";
}

} // namespace daemoniker::cli
