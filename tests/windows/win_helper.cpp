// The Windows test helper: one executable, several modes. Code before
// daemonize() runs twice on Windows (once in the original, once in the
// re-launched daemon); only the preserved arguments carry the original's
// values across, and the report shows what arrived.
//
//   helper daemonize  PIDFILE REPORT [key=value...]
//   helper daemonizer PIDFILE REPORT [key=value...]
//   helper daemonize_or_throw PIDFILE REPORT [key=value...]
//
// Programs for `daemoniker start` (no daemonization of their own):
//   helper serve - LOG [key=value...]   a SignalHandler in the foreground;
//                                       logs its cwd, arguments and env=NAME
//   helper sleep - LOG [MS [CODE]]      no channel: sleeps for MS (a minute),
//                                       then exits with CODE (0)
//   helper exit - CODE                  exits at once with CODE
//
// keys: chdir stdout stderr stdin timeout_ms strip=1 log=FILE
//       int|term|abrt|hup=default|ignore|record (SignalHandler actions)
//       setup_marker=FILE parent=ok|throw (daemonizer mode)

#include <daemoniker/daemoniker.hpp>

#include "win_support.hpp"

#include <windows.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <string>
#include <vector>

struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
};
template <>
struct daemoniker::codec<Endpoint> : daemoniker::fields_codec<Endpoint, &Endpoint::host, &Endpoint::port> {};

namespace {

using wintest::from_utf8;
using wintest::utf8;

std::map<std::string, std::string> kv;

std::string get(const std::string& k, const std::string& fallback = "") {
    auto it = kv.find(k);
    return it == kv.end() ? fallback : it->second;
}

daemoniker::Options options() {
    daemoniker::Options o;
    if (kv.count("chdir")) o.chdir = from_utf8(get("chdir"));
    if (kv.count("stdout")) o.stdout_goto = from_utf8(get("stdout"));
    if (kv.count("stderr")) o.stderr_goto = from_utf8(get("stderr"));
    if (kv.count("stdin")) o.stdin_goto = from_utf8(get("stdin"));
    if (kv.count("timeout_ms")) o.success_timeout = std::chrono::milliseconds(std::stol(get("timeout_ms")));
    o.strip_cmd_args = get("strip") == "1";
    return o;
}

void log_line(const std::string& line) {
    if (get("log").empty()) return;
    std::ofstream(from_utf8(get("log")), std::ios::app | std::ios::binary) << line << "\n";
}

void write_report(const std::string& path, const std::string& body) {
    wchar_t cwd[MAX_PATH];
    ::GetCurrentDirectoryW(MAX_PATH, cwd);
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(from_utf8(tmp), std::ios::binary);
        f << "pid=" << ::GetCurrentProcessId() << "\n"
          << "cwd=" << utf8(std::filesystem::path(cwd)) << "\n"
          << "cmdargs=" << __argc << "\n"
          << body;
    }
    ::MoveFileExW(from_utf8(tmp).c_str(), from_utf8(path).c_str(), MOVEFILE_REPLACE_EXISTING);
}

// Signals: actions from the keys; main waits for a default-handled signal.
int serve(const std::string& pid_file) {
    daemoniker::SignalHandler signals(from_utf8(pid_file));
    const std::pair<const char*, daemoniker::Signal> keys[] = {{"int", daemoniker::Signal::sigint},
                                                               {"term", daemoniker::Signal::sigterm},
                                                               {"abrt", daemoniker::Signal::sigabrt},
                                                               {"hup", daemoniker::Signal::sighup}};
    for (const auto& [key, sig] : keys) {
        const std::string v = get(key, "default");
        if (v == "ignore") signals.set(sig, daemoniker::ignore_signal);
        if (v == "record")
            signals.set(sig, [name = std::string(key)](int n) { log_line("handled " + name + " " + std::to_string(n)); });
    }
    signals.start();
    log_line("serving");
    try {
        if (!signals.wait_for(std::chrono::seconds(60))) log_line("no signal");
    } catch (const daemoniker::ReceivedSignal& e) {
        log_line(std::string("caught ") + e.what() + " " + std::to_string(e.signal_number()));
        std::printf("daemon stopping\n");
        return 0; // the normal exit path removes the PID file
    }
    return 1;
}

int mode_daemonize(const std::string& pid_file, const std::string& report) {
    // Computed in both runs; only the original's values may arrive.
    const std::string nonce = "original pid " + std::to_string(::GetCurrentProcessId());
    const std::string tricky = R"(spaces and "quotes" and \back\slashes\)";
    const std::filesystem::path unicode = std::filesystem::path(u8"C:\\données\\日本\\файл.txt");
    std::vector<std::int32_t> big(100000);
    std::iota(big.begin(), big.end(), 1);
    const Endpoint ep{"example.org", 8443};
    auto [n, t, u, b, e] = daemoniker::daemonize(from_utf8(pid_file), options(), nonce, tricky, unicode, big, ep);
    const long long sum = std::accumulate(b.begin(), b.end(), 0LL);
    write_report(report, "nonce=" + n + "\n" + "tricky_ok=" + std::to_string(t == tricky) + "\n" +
                             "unicode_ok=" + std::to_string(u == unicode) + "\n" + "big_sum=" + std::to_string(sum) +
                             "\n" + "endpoint=" + e.host + ":" + std::to_string(e.port) + "\n");
    std::printf("daemon stdout line\n");
    std::fflush(stdout);
    std::fprintf(stderr, "daemon stderr line\n");
    return serve(pid_file);
}

int mode_daemonizer(const std::string& pid_file, const std::string& report) {
    daemoniker::Daemonizer daemonizer;
    std::string secret;
    int number = 0;
    if (daemonizer.is_setup()) {
        std::ofstream(from_utf8(get("setup_marker")), std::ios::app) << "setup ran\n";
        secret = "from setup";
        number = 7;
    }
    auto [is_parent, s, n] = daemonizer(from_utf8(pid_file), options(), secret, number);
    if (is_parent) {
        std::printf("parent: is_parent=1 s='%s' n=%d\n", s.c_str(), n);
        if (get("parent") == "throw") throw std::runtime_error("parent-only code failed on purpose");
        return 0;
    }
    write_report(report, "secret=" + s + "\nnumber=" + std::to_string(n) + "\nis_setup=" +
                             std::to_string(daemonizer.is_setup()) + "\n");
    return serve(pid_file);
}

// The original process catches a failure itself, prints what it caught and
// carries on (exit 5); the daemon serves as in mode_daemonize.
int mode_daemonize_or_throw(const std::string& pid_file, const std::string& report) {
    try {
        auto [n] = daemoniker::daemonize_or_throw(from_utf8(pid_file), options(), 42);
        write_report(report, "n=" + std::to_string(n) + "\n");
        return serve(pid_file);
    } catch (const daemoniker::AlreadyRunning& e) {
        std::printf("caught AlreadyRunning pid=%lld\n", static_cast<long long>(e.pid()));
    } catch (const daemoniker::StartupError& e) {
        std::printf("caught StartupError step=%s\n", std::string(daemoniker::to_string(e.step())).c_str());
    }
    std::printf("carried on\n");
    return 5;
}

// The arguments as UTF-8, from the UTF-16 command line: char** argv is in
// the ANSI code page, which would turn most non-Latin text into '?'.
std::vector<std::string> arguments() {
    int count = 0;
    wchar_t** wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) out.push_back(utf8(std::filesystem::path(wide[i])));
    ::LocalFree(static_cast<HLOCAL>(wide));
    return out;
}

} // namespace

int main() {
    const std::vector<std::string> argv = arguments();
    const std::size_t argc = argv.size();
    if (argc < 4) return 64;
    for (std::size_t i = 4; i < argc; ++i) {
        const std::string& s = argv[i];
        const auto eq = s.find('=');
        if (eq != std::string::npos) kv[s.substr(0, eq)] = s.substr(eq + 1);
    }
    const std::string mode = argv[1];
    if (mode == "serve") {
        kv["log"] = argv[3];
        wchar_t cwd[MAX_PATH];
        ::GetCurrentDirectoryW(MAX_PATH, cwd);
        log_line("pid=" + std::to_string(::GetCurrentProcessId()));
        log_line("cwd=" + utf8(std::filesystem::path(cwd)));
        std::string args;
        for (std::size_t i = 4; i < argc; ++i) args += std::string(i > 4 ? "|" : "") + argv[i];
        log_line("args=" + args);
        if (kv.count("env")) {
            const wchar_t* v = ::_wgetenv(from_utf8(get("env")).c_str());
            log_line("env " + get("env") + "=" + (v != nullptr ? utf8(std::filesystem::path(v)) : "(unset)"));
        }
        std::printf("program stdout line\n");
        std::fflush(stdout);
        return serve("not-a-pid-file");
    }
    if (mode == "sleep") {
        kv["log"] = argv[3];
        log_line("pid=" + std::to_string(::GetCurrentProcessId()));
        log_line("sleeping");
        ::Sleep(argc > 4 ? static_cast<DWORD>(std::atol(argv[4].c_str())) : 60000);
        return argc > 5 ? std::atoi(argv[5].c_str()) : 0;
    }
    if (mode == "exit") return std::atoi(argv[3].c_str());
    if (mode == "daemonize") return mode_daemonize(argv[2], argv[3]);
    if (mode == "daemonizer") return mode_daemonizer(argv[2], argv[3]);
    if (mode == "daemonize_or_throw") return mode_daemonize_or_throw(argv[2], argv[3]);
    return 64;
}
