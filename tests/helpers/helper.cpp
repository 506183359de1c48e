// One helper binary, many modes (libuv's habit), built for POSIX and for
// Windows from this source; what differs between them is in helper_os.*.
// The tests start it as a real process. A daemon writes a report of what it
// sees about itself, then waits for a signal (never longer than a minute, so
// that it cannot linger) and exits normally, which removes its PID file.
//
// On Windows, code before daemonize() runs twice (in the original and in the
// re-launched daemon): only the preserved arguments carry the original's
// values across, and the report shows what arrived.
//
//   helper daemonize  PIDFILE REPORT [key=value...]
//   helper daemonizer PIDFILE REPORT [key=value...]
//   helper daemonize_or_throw PIDFILE REPORT [key=value...]
//   helper signals    PIDFILE REPORT [key=value...]
//
// Programs for `daemoniker start` (no daemonization of their own):
//   helper serve - LOG [key=value|word...]  a SignalHandler in the foreground;
//                                           logs its pid, cwd, arguments and
//                                           env=NAME's value
//   helper sleep - LOG [MS [CODE]]          no signal channel: sleeps MS (a
//                                           minute), then exits with CODE
//   helper exit - CODE                      exits at once with CODE
//
// keys: chdir stdin stdout stderr umask shield(repeatable) fallback timeout_ms
//       strip=1 (Options::strip_cmd_args) allow_threads=1 threads=N (start N
//       threads first) print=TEXT (buffered stdout before daemonizing)
//       say=1 (the daemon writes a line to stdout and one to stderr)
//       rmcwd=1 (delete the cwd first) open_extra=1 (leave an extra
//       unshielded descriptor open) parent=ok|throw|throw_raii (Daemonizer
//       parent-only code; throw: with_daemonizer, throw_raii: the RAII form)
//       setup_marker=FILE (Daemonizer setup code appends a line to it)
//       worker=FILE (daemonize mode: the daemon forks a worker that waits, at
//       most 30 s, and writes its PID to FILE before the report)
// signals and serve modes: a SignalHandler, started before the report, and a
// log (key log=) of what happens: handler calls, caught exceptions.
//       int|term|abrt|hup|usr1|usr2=default|ignore|record   actions
//       usr2_does=replace_usr1|reset_term   what a recorded SIGUSR2 also does
//       main=wait|wait_for|check|stop_token|fd               how main waits
//       detach=never|auto (Options::detach)  notify=1 (READY=1 / STOPPING=1)
//       exit=N (signals mode: after the signal, set_exit_status(N) and
//       return N)  escape=1 (the signal's exception is not caught: it
//       leaves main)  crash=1 (at the signal, the daemon crashes)
// POSIX: user=NAME group=NAME chroot=DIR core=on|off (Options::user, group,
//       chroot, core_dumps) core_soft0=1 (RLIMIT_CORE's soft limit 0 first)

#include "helper_os.hpp"

#include <daemoniker/daemoniker.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
};
template <>
struct daemoniker::codec<Endpoint> : daemoniker::fields_codec<Endpoint, &Endpoint::host, &Endpoint::port> {};

namespace {

std::filesystem::path from_utf8(const std::string& s) { return std::u8string(s.begin(), s.end()); }
std::string utf8(const std::filesystem::path& p) {
    const auto s = p.u8string();
    return {s.begin(), s.end()};
}

struct Args {
    std::string pid_file;
    std::string report;
    std::size_t count = 0; ///< argc, for the report
    std::multimap<std::string, std::string> kv;
    [[nodiscard]] std::string get(const std::string& k, const std::string& fallback = "") const {
        auto it = kv.find(k);
        return it == kv.end() ? fallback : it->second;
    }
    [[nodiscard]] bool has(const std::string& k) const { return kv.count(k) != 0; }
};

void log_line(const std::string& log, const std::string& line);

daemoniker::Options options_from(const Args& a) {
    daemoniker::Options o;
    if (a.has("chdir")) o.chdir = from_utf8(a.get("chdir"));
    if (a.has("stdin")) o.stdin_goto = from_utf8(a.get("stdin"));
    if (a.has("stdout")) o.stdout_goto = from_utf8(a.get("stdout"));
    if (a.has("stderr")) o.stderr_goto = from_utf8(a.get("stderr"));
    if (a.has("umask")) o.umask = static_cast<int>(std::strtol(a.get("umask").c_str(), nullptr, 0));
    if (a.has("fallback")) o.fd_fallback_limit = std::atoi(a.get("fallback").c_str());
    if (a.has("timeout_ms")) o.success_timeout = std::chrono::milliseconds(std::atol(a.get("timeout_ms").c_str()));
    o.allow_threads = a.get("allow_threads") == "1";
    o.strip_cmd_args = a.get("strip") == "1";
    if (a.get("detach") == "never") o.detach = daemoniker::Detach::never;
    if (a.get("detach") == "auto") o.detach = daemoniker::Detach::unless_supervised;
#ifndef _WIN32
    if (a.has("user")) o.user = a.get("user");
    if (a.has("group")) o.group = a.get("group");
    if (a.has("chroot")) o.chroot = from_utf8(a.get("chroot"));
    if (a.has("core")) o.core_dumps = a.get("core") == "on";
#endif
    auto [lo, hi] = a.kv.equal_range("shield");
    for (auto it = lo; it != hi; ++it) o.shielded_fds.push_back(std::atoi(it->second.c_str()));
    if (a.has("hooks")) {
        // Each fork hook appends "<hook> <pid>" to this file.
        const std::string log = a.get("hooks");
        const auto line = [log](const char* hook) {
            return [log, hook] { log_line(log, std::string(hook) + " " + std::to_string(helper_os::current_pid())); };
        };
        o.fork_hooks.before = line("before");
        o.fork_hooks.after_in_parent = line("after_in_parent");
        o.fork_hooks.after_in_child = line("after_in_child");
    }
    return o;
}

// Everything the tests verify, written atomically (temp file + rename): a
// reader never sees half a report.
void write_report(const Args& a, const std::string& extra) {
    std::ostringstream r;
    r << "pid=" << helper_os::current_pid() << "\n"
      << "cwd=" << utf8(std::filesystem::current_path()) << "\n"
      << "cmdargs=" << a.count << "\n"
      << helper_os::platform_report() << extra;
    const auto path = from_utf8(a.report);
    auto tmp = path;
    tmp += ".tmp";
    std::ofstream(tmp, std::ios::binary) << r.str();
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
}

// Appends one line to the log, opened and closed each time so that lines of
// the daemon's threads and of a restarted daemon never overwrite each other.
void log_line(const std::string& log, const std::string& line) {
    if (log.empty()) return;
    std::ofstream(from_utf8(log), std::ios::app | std::ios::binary) << line + "\n" << std::flush;
}

void prepare(const Args& a) {
    if (a.has("print")) std::printf("%s", a.get("print").c_str()); // left in the stdio buffer
    if (a.get("open_extra") == "1" && !helper_os::open_extra_descriptor()) std::exit(90);
    if (a.get("rmcwd") == "1" && !helper_os::remove_current_directory()) std::exit(90);
    if (a.get("core_soft0") == "1" && !helper_os::lower_core_soft_limit()) std::exit(90);
    const int threads = std::atoi(a.get("threads", "0").c_str());
    static std::atomic<bool> stop{false};
    for (int i = 0; i < threads; ++i)
        std::thread([] {
            while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }).detach();
    if (threads > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// The daemon's lines to its standard streams, where the tests look for them.
void say(const Args& a) {
    if (a.get("say") != "1") return;
    std::printf("daemon stdout line\n");
    std::fflush(stdout);
    std::fprintf(stderr, "daemon stderr line\n");
}

// Waits for SIGTERM, then returns normally so that the PID file goes.
int serve_until_sigterm(helper_os::StopWaiter& waiter) {
    if (!waiter.wait()) return 1;
    std::printf("daemon stopping\n");
    return 0;
}

int mode_daemonize(const Args& a) {
    prepare(a);
    // Computed in both runs on Windows; only the original's values may arrive.
    const std::string nonce = "original pid " + std::to_string(helper_os::current_pid());
    const std::string tricky = R"(spaces and "quotes" and \back\slashes\)";
    const std::filesystem::path unicode = std::filesystem::path(u8"C:\\données\\日本\\файл.txt");
    std::vector<std::int32_t> big(100000);
    std::iota(big.begin(), big.end(), 1);
    const Endpoint endpoint{"example.org", 8443};
    const std::vector<std::string> words{"hello world", "\"quoted\"", "ünïcode"};
    auto [n, text, list, got_nonce, got_tricky, got_unicode, got_big, got_endpoint] =
        daemoniker::daemonize(from_utf8(a.pid_file), options_from(a), 42, std::string("preserved arg"), words, nonce,
                              tricky, unicode, big, endpoint);
    helper_os::StopWaiter waiter(a.pid_file);
    std::ostringstream extra;
    extra << "args=" << n << "|" << text << "|" << list.size() << "\n"
          << "words_ok=" << (list == words) << "\n"
          << "nonce=" << got_nonce << "\n"
          << "tricky_ok=" << (got_tricky == tricky) << "\n"
          << "unicode_ok=" << (got_unicode == unicode) << "\n"
          << "big_sum=" << std::accumulate(got_big.begin(), got_big.end(), 0LL) << "\n"
          << "endpoint=" << got_endpoint.host << ":" << got_endpoint.port << "\n";
    if (a.has("worker")) {
        const auto worker = helper_os::start_worker();
        if (worker < 0) return 64;
        std::ofstream(from_utf8(a.get("worker"))) << worker << "\n";
    }
    write_report(a, extra.str());
    say(a);
    return serve_until_sigterm(waiter);
}

// The original process catches a failure itself, prints what it caught on
// stdout and carries on (exit 5); the daemon serves as in mode_daemonize.
int mode_daemonize_or_throw(const Args& a) {
    prepare(a);
    try {
        auto [n, text] =
            daemoniker::daemonize_or_throw(from_utf8(a.pid_file), options_from(a), 42, std::string("preserved"));
        helper_os::StopWaiter waiter(a.pid_file);
        write_report(a, "args=" + std::to_string(n) + "|" + text + "\n");
        return serve_until_sigterm(waiter);
    } catch (const daemoniker::AlreadyRunning& e) {
        std::printf("caught AlreadyRunning pid=%lld path=%s\n", static_cast<long long>(e.pid()), utf8(e.path()).c_str());
    } catch (const daemoniker::StartupTimeout& e) {
        std::printf("caught StartupTimeout step=%s\n", std::string(daemoniker::to_string(e.step())).c_str());
    } catch (const daemoniker::StartupError& e) {
        std::printf("caught StartupError step=%s path=%s\n", std::string(daemoniker::to_string(e.step())).c_str(),
                    utf8(e.path()).c_str());
    } catch (const daemoniker::PidFileError& e) {
        std::printf("caught PidFileError path=%s\n", utf8(e.path()).c_str());
    } catch (const daemoniker::OptionError& e) {
        std::printf("caught OptionError: %s\n", e.what());
    }
    std::printf("carried on\n");
    return 5;
}

int mode_daemonizer(const Args& a) {
    prepare(a);
    const std::string parent_mode = a.get("parent", "ok");
    std::optional<helper_os::StopWaiter> waiter;
    auto body = [&](daemoniker::Daemonizer& daemonizer) -> int {
        int number = 0;
        std::string text;
        if (daemonizer.is_setup()) {
            std::ofstream(from_utf8(a.get("setup_marker")), std::ios::app | std::ios::binary)
                << "setup ran in " << helper_os::current_pid() << "\n";
            number = 7;
            text = "from setup";
        }
        auto [is_parent, n, t] = daemonizer(from_utf8(a.pid_file), options_from(a), number, text);
        if (is_parent) {
            std::printf("parent: is_parent=1 n=%d t='%s'\n", n, t.c_str());
            std::fflush(stdout);
            if (parent_mode == "throw" || parent_mode == "throw_raii")
                throw std::runtime_error("parent-only code failed on purpose");
            return 0;
        }
        waiter.emplace(a.pid_file);
        write_report(a, "args=" + std::to_string(n) + "|" + t + "\nis_setup=" +
                            std::to_string(daemonizer.is_setup()) + "\n");
        return -1;
    };
    if (parent_mode == "throw_raii") {
        // The RAII form: the destructor sees the exception but not its message.
        daemoniker::Daemonizer daemonizer;
        if (body(daemonizer) == 0) return 0;
    } else {
        int rc = 0;
        daemoniker::with_daemonizer([&](daemoniker::Daemonizer& d) { rc = body(d); });
        if (rc == 0) return 0;
    }
    return serve_until_sigterm(*waiter);
}

// Sets the actions the keys ask for; a recorded signal is logged with its
// number and the thread that ran the handler.
void set_actions(daemoniker::SignalHandler& signals, const Args& a, const std::string& log) {
    const auto main_thread = std::this_thread::get_id();
    auto recorder = [log, main_thread](const char* tag) {
        return [log, main_thread, tag](int number) {
            const bool other = std::this_thread::get_id() != main_thread;
            log_line(log, std::string("handled ") + tag + " " + std::to_string(number) +
                              (other ? " on signal thread" : " on main thread"));
        };
    };
    const std::pair<const char*, daemoniker::Signal> keys[] = {
        {"int", daemoniker::Signal::sigint},   {"term", daemoniker::Signal::sigterm},
        {"abrt", daemoniker::Signal::sigabrt}, {"hup", daemoniker::Signal::sighup},
        {"usr1", daemoniker::Signal::sigusr1}, {"usr2", daemoniker::Signal::sigusr2}};
    for (const auto& [key, sig] : keys) {
        const std::string v = a.get(key, "default");
        if (v == "ignore") signals.set(sig, daemoniker::ignore_signal);
        else if (v == "record") signals.set(sig, recorder(key));
    }
    const std::string usr2_does = a.get("usr2_does");
    if (!usr2_does.empty()) {
        signals.set(daemoniker::Signal::sigusr2, [&signals, log, usr2_does, recorder](int) {
            if (usr2_does == "replace_usr1") signals.set(daemoniker::Signal::sigusr1, recorder("usr1-replaced"));
            if (usr2_does == "reset_term") signals.reset(daemoniker::Signal::sigterm);
            log_line(log, "usr2 did " + usr2_does);
        });
    }
}

// Waits as main=... says until a default action ends the wait; 0 when it did.
int wait_for_signal(daemoniker::SignalHandler& signals, const Args& a, const std::string& log, bool notify) {
    const std::string how = a.get("main", "wait");
    if (a.get("escape") == "1") { // no catch: the exception leaves main
        signals.wait();
        return 1;
    }
    if (a.get("crash") == "1") { // at the signal, a write through a null pointer
        try {
            signals.wait();
        } catch (const daemoniker::ReceivedSignal&) {
            log_line(log, "crashing");
            helper_os::crash();
        }
        return 1;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60); // never linger
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
            if (helper_os::wait_signalled(signals.native_handle(), std::chrono::seconds(60)))
                log_line(log, "descriptor readable");
            signals.check();
        }
        log_line(log, "no signal");
        return 1;
    } catch (const daemoniker::ReceivedSignal& e) {
        log_line(log, std::string("caught ") + e.what() + " " + std::to_string(e.signal_number()) + " via " + how);
        if (notify) daemoniker::notify_stopping();
        std::printf("daemon stopping\n");
        std::fflush(stdout);
        return 0; // returning from main removes the PID file
    }
}

int mode_signals(const Args& a) {
    prepare(a);
    daemoniker::daemonize(from_utf8(a.pid_file), options_from(a));
    const std::string log = a.get("log");
    daemoniker::SignalHandler signals(from_utf8(a.pid_file));
    set_actions(signals, a, log);
    signals.start();
    const bool notify = a.get("notify") == "1";
    if (notify) daemoniker::notify_ready();
    log_line(log, "serving");
    write_report(a, "");
    const int status = wait_for_signal(signals, a, log, notify);
    if (!a.has("exit")) return status;
    const int declared = std::stoi(a.get("exit"));
    daemoniker::set_exit_status(declared);
    return declared;
}

// A program for `daemoniker start`: argv is "serve - LOG" and then keys or
// plain words, all logged.
int mode_serve(const std::vector<std::string>& argv, const Args& a) {
    const std::string log = argv[3];
    log_line(log, "pid=" + std::to_string(helper_os::current_pid()));
    log_line(log, "cwd=" + utf8(std::filesystem::current_path()));
    std::string args;
    for (std::size_t i = 4; i < argv.size(); ++i) args += (i > 4 ? "|" : "") + argv[i];
    log_line(log, "args=" + args);
    if (a.has("env")) log_line(log, "env " + a.get("env") + "=" + helper_os::environment(a.get("env")));
    std::printf("program stdout line\n");
    std::fflush(stdout);
    // Started by the command, the program finds its channel without a PID
    // file of its own (the command holds the PID file).
    daemoniker::SignalHandler signals("not-a-pid-file");
    set_actions(signals, a, log);
    signals.start();
    log_line(log, "serving");
    return wait_for_signal(signals, a, log, false);
}

} // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args = helper_os::arguments(argc, argv);
    if (args.size() < 4) {
        std::fprintf(stderr, "usage: helper MODE PIDFILE REPORT [key=value...]\n");
        return 64;
    }
    const std::string& mode = args[1];
    if (mode == "exit") return std::atoi(args[3].c_str());
    if (mode == "sleep") {
        log_line(args[3], "pid=" + std::to_string(helper_os::current_pid()));
        log_line(args[3], "sleeping");
        std::this_thread::sleep_for(std::chrono::milliseconds(args.size() > 4 ? std::atol(args[4].c_str()) : 60000));
        return args.size() > 5 ? std::atoi(args[5].c_str()) : 0;
    }
    Args a;
    a.pid_file = args[2];
    a.report = args[3];
    a.count = args.size();
    for (std::size_t i = 4; i < args.size(); ++i) {
        const auto eq = args[i].find('=');
        if (eq != std::string::npos) a.kv.emplace(args[i].substr(0, eq), args[i].substr(eq + 1));
        else if (mode != "serve") return 64;
    }
    // escape=1: a SigTerm nobody catches leaves main (as thrown: a rethrown
    // exception ends a mingw program without std::terminate's handler).
    if (a.get("escape") == "1" && mode == "signals") return mode_signals(a);
    try {
        if (mode == "serve") return mode_serve(args, a);
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
