// A program for `daemoniker start` to run in the tests: it stands for any
// program a user daemonizes, so it does not link the library, and it speaks
// the sd_notify protocol the way a systemd Type=notify service does, with a
// plain sendto() on the socket named by NOTIFY_SOCKET.
//
//   notify_program MODE [ARGS...]
//
// Every mode that stays up waits for a signal and ends at the latest after
// 60 s (alarm), so a broken test can never leave it behind for long. Default
// signal dispositions: SIGTERM ends it.
//
//   serve REPORT         write REPORT (see below), then READY=1 if NOTIFY_SOCKET is set, then wait
//   ready-after MS       send STATUS=warming up, wait MS milliseconds, send READY=1, wait
//   never-ready          send STATUS=stuck, never READY=1, wait
//   exit-early CODE      write two lines to stderr, exit with CODE before any READY=1
//   errno N              send STATUS=cannot bind and ERRNO=N, wait
//   ignore-term          ignore SIGTERM, send READY=1, wait (SIGKILL ends it)
//   fork-child FILE      fork a child that keeps every descriptor and waits; write its PID
//                        to FILE; READY=1; wait
//   log-signals LOG      append "got SIGNAME" to LOG for SIGUSR1 and SIGHUP; READY=1; wait
//   close-fds            close every descriptor above 2 (as some daemons do), READY=1, wait
//   slow-term FILE MS    send STATUS=stuck, never READY=1; write "waiting" to FILE once SIGTERM
//                        is taken care of; on SIGTERM append "got SIGTERM", then take MS
//                        milliseconds to exit (a program that shuts down slowly)
//   child-ready          fork a child that sends STATUS=child and READY=1 and exits; once it
//                        exited send STATUS=parent (never READY=1 itself), wait
//   own-pid-file FILE    read FILE, rewrite it with its PID if it may, close every descriptor,
//                        READY=1, wait
//   main-thread-exits    start a thread that waits, READY=1, end the main thread
//   join-parent-group    move to its parent's process group, READY=1, wait
//   hostile-text CODE    send a STATUS= and write stderr lines full of terminal escape sequences,
//                        with UTF-8 text among them; exit with CODE before any READY=1
//
// REPORT lines: pid ppid sid uid gid groups cwd umask fds (open descriptors,
// comma-separated); for each fd>2 cloexec<N> (1 when close-on-exec) and
// ino<N> (dev:ino);
// fd0..fd2 (targets), env_<NAME> for NOTIFY_SOCKET HOME USER LOGNAME
// DAEMONIKER_X, lock<N> (1 when fd N is a file whose record lock this
// process holds, seen through /proc/locks).

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <pthread.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

int notify(const std::string& message) {
    const char* address = std::getenv("NOTIFY_SOCKET");
    if (address == nullptr || address[0] == '\0') return -1;
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    const std::size_t len = std::strlen(address);
    if (len >= sizeof sa.sun_path) return -1;
    std::memcpy(sa.sun_path, address, len);
    socklen_t size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
    if (address[0] == '@') sa.sun_path[0] = '\0'; // abstract namespace
    else size = static_cast<socklen_t>(size + 1);
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    const auto sent = ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&sa), size);
    ::close(fd);
    return sent == static_cast<ssize_t>(message.size()) ? 0 : -1;
}

[[noreturn]] void wait_forever() {
    ::alarm(60);
    for (;;) ::pause();
}

void sleep_ms(long ms) {
    timespec t{ms / 1000, (ms % 1000) * 1000000};
    while (::nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

std::string link_target(const std::string& path) {
    char buf[4096];
    const auto n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    return n < 0 ? "" : std::string(buf, static_cast<std::size_t>(n));
}

// Inodes on which this process holds a POSIX record lock (/proc/locks lines
// such as "1: POSIX  ADVISORY  WRITE 1234 fe:00:5678 0 0").
std::vector<std::string> locked_inodes() {
    std::vector<std::string> out;
    std::ifstream in("/proc/locks");
    std::string line;
    const std::string self = std::to_string(::getpid());
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string n, kind, mode, access, pid, dev;
        f >> n >> kind >> mode >> access >> pid >> dev;
        if (kind == "POSIX" && pid == self) out.push_back(dev.substr(dev.rfind(':') + 1));
    }
    return out;
}

void write_report(const std::string& path) {
    std::ostringstream r;
    r << "pid=" << ::getpid() << "\nppid=" << ::getppid() << "\nsid=" << ::getsid(0) << "\nuid=" << ::getuid()
      << "\ngid=" << ::getgid() << "\n";
    gid_t groups[256];
    const int n = ::getgroups(256, groups);
    r << "groups=";
    for (int i = 0; i < n; ++i) r << (i ? "," : "") << groups[i];
    r << "\n";
    char cwd[4096];
    r << "cwd=" << (::getcwd(cwd, sizeof cwd) ? cwd : "?") << "\n";
    const mode_t mask = ::umask(0);
    ::umask(mask);
    r << "umask=" << std::oct << mask << std::dec << "\n";
    std::vector<int> fds;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        const int own = ::dirfd(d);
        while (const dirent* e = ::readdir(d))
            if (e->d_name[0] != '.' && std::atoi(e->d_name) != own) fds.push_back(std::atoi(e->d_name));
        ::closedir(d);
    }
    std::sort(fds.begin(), fds.end());
    r << "fds=";
    for (std::size_t i = 0; i < fds.size(); ++i) r << (i ? "," : "") << fds[i];
    r << "\n";
    const auto locks = locked_inodes();
    for (int fd : fds) {
        const auto target = link_target("/proc/self/fd/" + std::to_string(fd));
        if (fd <= 2) r << "fd" << fd << "=" << target << "\n";
        else r << "cloexec" << fd << "=" << ((::fcntl(fd, F_GETFD) & FD_CLOEXEC) ? 1 : 0) << "\n";
        struct stat st {};
        if (fd > 2 && ::fstat(fd, &st) == 0) r << "ino" << fd << "=" << st.st_dev << ":" << st.st_ino << "\n";
        if (fd > 2 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            bool locked = false;
            for (const auto& ino : locks) locked = locked || ino == std::to_string(st.st_ino);
            r << "lock" << fd << "=" << (locked ? 1 : 0) << "\n";
        }
    }
    for (const char* name : {"NOTIFY_SOCKET", "HOME", "USER", "LOGNAME", "DAEMONIKER_X"}) {
        const char* v = std::getenv(name);
        r << "env_" << name << "=" << (v ? v : "<unset>") << "\n";
    }
    // Written aside and renamed, so a reader never sees half a report.
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp) << r.str();
    std::rename(tmp.c_str(), path.c_str());
}

std::string log_path;

extern "C" void on_signal(int sig) {
    const char* text = sig == SIGUSR1 ? "got SIGUSR1\n" : "got SIGHUP\n";
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        [[maybe_unused]] const auto n = ::write(fd, text, std::strlen(text));
        ::close(fd);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) return 100;
    const std::string mode = argv[1];
    const std::string arg = argc > 2 ? argv[2] : "";
    if (mode == "serve") {
        write_report(arg);
        notify("READY=1");
        wait_forever();
    }
    if (mode == "ready-after") {
        notify("STATUS=warming up");
        sleep_ms(std::atol(arg.c_str()));
        notify("STATUS=serving\nREADY=1");
        wait_forever();
    }
    if (mode == "never-ready") {
        notify("STATUS=stuck");
        wait_forever();
    }
    if (mode == "exit-early") {
        std::fprintf(stderr, "starting up\nfatal: no configuration file\n");
        return std::atoi(arg.c_str());
    }
    if (mode == "errno") {
        notify("STATUS=cannot bind\nERRNO=" + arg);
        wait_forever();
    }
    if (mode == "ignore-term") {
        std::signal(SIGTERM, SIG_IGN);
        notify("READY=1");
        wait_forever();
    }
    if (mode == "fork-child") {
        const pid_t child = ::fork();
        if (child == 0) wait_forever();
        std::ofstream(arg + ".tmp") << child << "\n";
        std::rename((arg + ".tmp").c_str(), arg.c_str());
        notify("READY=1");
        wait_forever();
    }
    if (mode == "close-fds") {
        for (int fd = 3; fd < 1024; ++fd) ::close(fd);
        notify("READY=1");
        wait_forever();
    }
    if (mode == "slow-term") {
        // Blocked and taken with sigwait(), so the SIGTERM cannot be lost.
        sigset_t term;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        ::sigprocmask(SIG_BLOCK, &term, nullptr);
        notify("STATUS=stuck");
        std::ofstream(arg) << "waiting\n";
        ::alarm(60);
        int sig = 0;
        ::sigwait(&term, &sig);
        std::ofstream(arg, std::ios::app) << "got SIGTERM\n";
        sleep_ms(std::atol(argc > 3 ? argv[3] : "0"));
        return 0;
    }
    if (mode == "child-ready") {
        const pid_t child = ::fork();
        if (child == 0) ::_exit(notify("STATUS=child\nREADY=1") == 0 ? 0 : 1);
        int status = 0;
        while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        notify("STATUS=parent");
        wait_forever();
    }
    if (mode == "hostile-text") {
        // Colour, a window title (OSC ... BEL), a carriage return, a tab, a
        // C1 CSI (U+009B) and a stray byte, around UTF-8 text that must stay
        // (an e with acute accent, an arrow).
        notify("STATUS=\x1b[31mred\x1b[0m \x1b]0;owned\x07 caf\xc3\xa9");
        std::fputs("plain line\n\x1b[2Jcleared\r\tover \xc2\x9b" "1m \xff \xe2\x86\x92 end\n", stderr);
        return std::atoi(arg.c_str());
    }
    if (mode == "log-signals") {
        log_path = arg;
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, nullptr);
        sigaction(SIGHUP, &sa, nullptr);
        notify("READY=1");
        wait_forever();
    }
    if (mode == "own-pid-file") {
        // What daemons do to their PID file: read it, open and close it
        // again, rewrite it with their PID where they may, then close every
        // descriptor. None of it may cost the lock.
        char buf[64] = {};
        int fd = ::open(arg.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::read(fd, buf, sizeof buf - 1) < 0) return 101;
        ::close(fd);
        fd = ::open(arg.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd >= 0) {
            const std::string line = std::to_string(::getpid()) + "\n";
            [[maybe_unused]] const auto n = ::write(fd, line.data(), line.size());
            ::close(fd);
        }
        for (int d = 3; d < 1024; ++d) ::close(d);
        notify("READY=1");
        wait_forever();
    }
    if (mode == "join-parent-group") {
        // Leaves the group start made it lead, for its parent's (the lock keeper's).
        if (::setpgid(0, ::getpgid(::getppid())) != 0) return 103;
        notify("READY=1");
        wait_forever();
    }
    if (mode == "main-thread-exits") {
        // The main thread ends; another runs on (and SIGTERM still ends the process).
        pthread_t worker{};
        if (::pthread_create(&worker, nullptr, [](void*) -> void* { wait_forever(); }, nullptr) != 0) return 102;
        notify("READY=1");
        ::pthread_exit(nullptr);
    }
    return 100;
}
