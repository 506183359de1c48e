// One helper binary, many modes (libuv's habit). The tests start it as a
// real process; in the daemon it writes a report of what it sees about
// itself, then waits for SIGTERM (at most 30 s, so it can never linger) and
// exits normally, which removes its PID file.
//
//   helper daemonize  PIDFILE REPORT [key=value...]
//   helper daemonizer PIDFILE REPORT [key=value...]
//   helper daemonize_or_throw PIDFILE REPORT [key=value...]
//   helper signals    PIDFILE REPORT [key=value...]
//
// keys: chdir stdin stdout stderr umask shield(repeatable) fallback timeout_ms
//       allow_threads=1 threads=N (start N threads first) print=TEXT (buffered
//       stdout before daemonizing) rmcwd=1 (delete the cwd first)
//       open_extra=1 (leave an extra unshielded descriptor open)
//       parent=ok|throw|throw_raii (Daemonizer parent-only code)
//       setup_marker=FILE (Daemonizer setup code appends a line to it)
//       worker=FILE (daemonize mode: the daemon forks a worker that waits, at
//       most 30 s, and writes its PID to FILE before the report)
// signals mode: the daemon starts a SignalHandler, then writes its report,
// and logs what happens to LOG (key log=): handler calls, caught exceptions.
//       int|term|abrt|hup|usr1|usr2=default|ignore|record   actions
//       usr2_does=replace_usr1|reset_term   what a recorded SIGUSR2 also does
//       main=wait|wait_for|check|stop_token|fd               how main waits
//       detach=never|auto (Options::detach)  notify=1 (READY=1 / STOPPING=1)

#include <daemoniker/daemoniker.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <poll.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

struct Args {
    std::string pid_file;
    std::string report;
    std::multimap<std::string, std::string> kv;
    [[nodiscard]] std::string get(const std::string& k, const std::string& fallback = "") const {
        auto it = kv.find(k);
        return it == kv.end() ? fallback : it->second;
    }
    [[nodiscard]] bool has(const std::string& k) const { return kv.count(k) != 0; }
};

daemoniker::Options options_from(const Args& a) {
    daemoniker::Options o;
    if (a.has("chdir")) o.chdir = a.get("chdir");
    if (a.has("stdin")) o.stdin_goto = a.get("stdin");
    if (a.has("stdout")) o.stdout_goto = a.get("stdout");
    if (a.has("stderr")) o.stderr_goto = a.get("stderr");
    if (a.has("umask")) o.umask = static_cast<int>(std::strtol(a.get("umask").c_str(), nullptr, 0));
    if (a.has("fallback")) o.fd_fallback_limit = std::atoi(a.get("fallback").c_str());
    if (a.has("timeout_ms")) o.success_timeout = std::chrono::milliseconds(std::atol(a.get("timeout_ms").c_str()));
    o.allow_threads = a.get("allow_threads") == "1";
    if (a.get("detach") == "never") o.detach = daemoniker::Detach::never;
    if (a.get("detach") == "auto") o.detach = daemoniker::Detach::unless_supervised;
    auto [lo, hi] = a.kv.equal_range("shield");
    for (auto it = lo; it != hi; ++it) o.shielded_fds.push_back(std::atoi(it->second.c_str()));
    return o;
}

std::string link_target(const std::string& p) {
    char buf[4096];
    const auto n = ::readlink(p.c_str(), buf, sizeof buf - 1);
    return n < 0 ? std::string("?") : std::string(buf, static_cast<std::size_t>(n));
}

std::vector<int> fd_list() {
    std::vector<int> fds;
    DIR* d = ::opendir("/proc/self/fd");
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

std::string open_fds() {
    std::string out;
    const auto fds = fd_list();
    for (int fd : fds) out += (out.empty() ? "" : ",") + std::to_string(fd);
    return out;
}

// "fdN=<target>" for every open descriptor.
std::string fd_links() {
    std::string out;
    for (int fd : fd_list()) {
        struct stat st {};
        ::fstat(fd, &st);
        out += "fd" + std::to_string(fd) + "=" + link_target("/proc/self/fd/" + std::to_string(fd)) + "\n";
        out += "ino" + std::to_string(fd) + "=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + "\n";
    }
    return out;
}

// Everything the tests verify, written atomically (temp file + rename).
void write_report(const std::string& path, const std::string& extra) {
    std::ostringstream r;
    const mode_t mask = ::umask(0);
    ::umask(mask);
    char cwd[4096];
    r << "pid=" << ::getpid() << "\n"
      << "ppid=" << ::getppid() << "\n"
      << "sid=" << ::getsid(0) << "\n"
      << "pgid=" << ::getpgid(0) << "\n"
      << "cwd=" << (::getcwd(cwd, sizeof cwd) ? cwd : "?") << "\n"
      << "umask=" << std::oct << mask << std::dec << "\n"
      << "fds=" << open_fds() << "\n"
      << fd_links()
      << extra;
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp);
        f << r.str();
    }
    std::rename(tmp.c_str(), path.c_str());
}

// SIGTERM is blocked before the report is written, so that one sent once the
// report exists always reaches serve() and never the default action (which
// would leave the PID file behind).
sigset_t block_sigterm() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    return set;
}

// Serve until SIGTERM (or 30 s), then return normally so the PID file goes.
int serve() {
    const sigset_t set = block_sigterm();
    const timespec limit{30, 0};
    ::sigtimedwait(&set, nullptr, &limit);
    std::printf("daemon stopping\n");
    return 0;
}

void prepare(const Args& a) {
    if (a.has("print")) std::printf("%s", a.get("print").c_str()); // left in the stdio buffer
    if (a.get("open_extra") == "1") ::open("/dev/null", O_RDONLY); // deliberately not close-on-exec
    if (a.get("rmcwd") == "1") {
        char tmpl[] = "/tmp/daemoniker-rmcwd-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr || ::chdir(tmpl) != 0 || ::rmdir(tmpl) != 0) std::exit(90);
    }
    const int threads = std::atoi(a.get("threads", "0").c_str());
    static std::atomic<bool> stop{false};
    for (int i = 0; i < threads; ++i) std::thread([] { while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(5)); }).detach();
    if (threads > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

int mode_daemonize(const Args& a) {
    prepare(a);
    const std::vector<std::string> words{"hello world", "\"quoted\"", "ünïcode"};
    auto [n, text, list] = daemoniker::daemonize(a.pid_file, options_from(a), 42, std::string("preserved arg"), words);
    std::ostringstream extra;
    extra << "args=" << n << "|" << text << "|" << list.size() << "\n";
    block_sigterm();
    if (a.has("worker")) {
        const pid_t worker = ::fork();
        if (worker == 0) {
            ::alarm(30);
            for (;;) ::pause();
        }
        std::FILE* f = std::fopen(a.get("worker").c_str(), "w");
        if (f != nullptr) {
            std::fprintf(f, "%d\n", static_cast<int>(worker));
            std::fclose(f);
        }
    }
    write_report(a.report, extra.str());
    return serve();
}

// The original process catches a failure itself, prints what it caught on
// stdout and carries on (exit 5); the daemon serves as in mode_daemonize.
int mode_daemonize_or_throw(const Args& a) {
    prepare(a);
    try {
        auto [n, text] = daemoniker::daemonize_or_throw(a.pid_file, options_from(a), 42, std::string("preserved"));
        block_sigterm();
        write_report(a.report, "args=" + std::to_string(n) + "|" + text + "\n");
        return serve();
    } catch (const daemoniker::AlreadyRunning& e) {
        std::printf("caught AlreadyRunning pid=%lld path=%s\n", static_cast<long long>(e.pid()), e.path().c_str());
    } catch (const daemoniker::StartupTimeout& e) {
        std::printf("caught StartupTimeout step=%s\n", std::string(daemoniker::to_string(e.step())).c_str());
    } catch (const daemoniker::StartupError& e) {
        std::printf("caught StartupError step=%s path=%s\n", std::string(daemoniker::to_string(e.step())).c_str(),
                    e.path().c_str());
    } catch (const daemoniker::PidFileError& e) {
        std::printf("caught PidFileError path=%s\n", e.path().c_str());
    } catch (const daemoniker::OptionError& e) {
        std::printf("caught OptionError: %s\n", e.what());
    }
    std::printf("carried on\n");
    return 5;
}

int mode_daemonizer(const Args& a) {
    prepare(a);
    const std::string parent_mode = a.get("parent", "ok");
    auto body = [&](daemoniker::Daemonizer& daemonizer) -> int {
        int number = 0;
        std::string text;
        if (daemonizer.is_setup()) {
            std::ofstream(a.get("setup_marker"), std::ios::app) << "setup ran in " << ::getpid() << "\n";
            number = 7;
            text = "from setup";
        }
        auto [is_parent, n, t] = daemonizer(a.pid_file, options_from(a), number, text);
        if (is_parent) {
            std::printf("parent: is_parent=1 n=%d t='%s'\n", n, t.c_str());
            if (parent_mode == "throw" || parent_mode == "throw_raii") throw std::runtime_error("parent-only code failed on purpose");
            return 0;
        }
        block_sigterm();
        write_report(a.report, "args=" + std::to_string(n) + "|" + t + "\n");
        return -1;
    };
    if (parent_mode == "throw_raii") {
        // The RAII form: the destructor sees the exception but not its message.
        daemoniker::Daemonizer daemonizer;
        if (body(daemonizer) == 0) return 0;
    } else {
        int rc = 0;
        daemoniker::with_daemonizer([&](daemoniker::Daemonizer& d) { rc = body(d); });
        (void)rc;
    }
    return serve();
}

// Appends one line to the log, with a single write() so lines never mix.
void log_line(const std::string& path, const std::string& line) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const std::string l = line + "\n";
    [[maybe_unused]] auto n = ::write(fd, l.data(), l.size());
    ::close(fd);
}

int mode_signals(const Args& a) {
    prepare(a);
    daemoniker::daemonize(a.pid_file, options_from(a));
    const std::string log = a.get("log");
    const auto main_thread = std::this_thread::get_id();
    daemoniker::SignalHandler signals(a.pid_file);
    auto recorder = [&, main_thread](const char* tag) {
        return [&, main_thread, tag](int number) {
            const bool other = std::this_thread::get_id() != main_thread;
            log_line(log, std::string("handled ") + tag + " " + std::to_string(number) + (other ? " on signal thread" : " on main thread"));
        };
    };
    const std::pair<const char*, daemoniker::Signal> keys[] = {
        {"int", daemoniker::Signal::sigint},   {"term", daemoniker::Signal::sigterm}, {"abrt", daemoniker::Signal::sigabrt},
        {"hup", daemoniker::Signal::sighup},   {"usr1", daemoniker::Signal::sigusr1}, {"usr2", daemoniker::Signal::sigusr2}};
    for (const auto& [key, sig] : keys) {
        const std::string v = a.get(key, "default");
        if (v == "ignore") signals.set(sig, daemoniker::ignore_signal);
        else if (v == "record") signals.set(sig, recorder(key));
    }
    const std::string usr2_does = a.get("usr2_does");
    if (!usr2_does.empty()) {
        signals.set(daemoniker::Signal::sigusr2, [&, usr2_does](int) {
            if (usr2_does == "replace_usr1") signals.set(daemoniker::Signal::sigusr1, recorder("usr1-replaced"));
            if (usr2_does == "reset_term") signals.reset(daemoniker::Signal::sigterm);
            log_line(log, "usr2 did " + usr2_does);
        });
    }
    signals.start();
    const bool notify = a.get("notify") == "1";
    if (notify) daemoniker::notify_ready();
    write_report(a.report, "");

    const std::string how = a.get("main", "wait");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30); // never linger
    try {
        if (how == "wait") {
            signals.wait();
        } else if (how == "wait_for") {
            bool logged = false;
            while (std::chrono::steady_clock::now() < deadline)
                if (!signals.wait_for(std::chrono::milliseconds(20)) && !logged) {
                    log_line(log, "wait_for timed out");
                    logged = true;
                }
        } else if (how == "check") {
            while (std::chrono::steady_clock::now() < deadline) {
                signals.check();
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        } else if (how == "stop_token") {
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            std::stop_token token = signals.stop_token();
            if (cv.wait_until(lock, token, deadline, [] { return false; }), token.stop_requested())
                log_line(log, "stop requested");
            signals.check();
        } else if (how == "fd") {
            pollfd p{signals.native_handle(), POLLIN, 0};
            int ready;
            do { // poll() is never restarted after a signal handler (SA_RESTART or not)
                ready = ::poll(&p, 1, 30000);
            } while (ready < 0 && errno == EINTR);
            if (ready == 1) log_line(log, "descriptor readable");
            signals.check();
        }
        log_line(log, "no signal");
        return 1;
    } catch (const daemoniker::ReceivedSignal& e) {
        log_line(log, std::string("caught ") + e.what() + " " + std::to_string(e.signal_number()) + " via " + how);
        if (notify) daemoniker::notify_stopping();
        std::printf("stopping\n");
        return 0; // returning from main removes the PID file
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: helper MODE PIDFILE REPORT [key=value...]\n");
        return 64;
    }
    Args a;
    a.pid_file = argv[2];
    a.report = argv[3];
    for (int i = 4; i < argc; ++i) {
        const std::string s = argv[i];
        const auto eq = s.find('=');
        if (eq == std::string::npos) return 64;
        a.kv.emplace(s.substr(0, eq), s.substr(eq + 1));
    }
    const std::string mode = argv[1];
    try {
        if (mode == "daemonize") return mode_daemonize(a);
        if (mode == "daemonize_or_throw") return mode_daemonize_or_throw(a);
        if (mode == "daemonizer") return mode_daemonizer(a);
        if (mode == "signals") return mode_signals(a);
    } catch (const daemoniker::Error& e) {
        std::fprintf(stderr, "helper: %s\n", e.what());
        return 3;
    }
    return 64;
}
