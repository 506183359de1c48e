// Windows benchmarks (run under Wine by bench/run-windows):
//
//  1. Signal round trip: send() -> the daemon's custom handler ran (it sets a
//     named event the benchmark waits on), over the library's named pipe.
//  2. The Python original's mechanism, re-implemented here as the baseline:
//     the daemon keeps a throwaway child process waiting; the sender
//     terminates that child with the signal number as its exit code; the
//     daemon's wait on the child returns, it reads the exit code, runs the
//     handler, and starts the next child.
//  3. Start latency of daemonize(): launching a program that daemonizes until
//     that launcher exits with the daemon confirmed running.
//
// Rounds of 1 and 2 alternate (A B A B ...) so drift hits both alike.
//
//   windows_bench [ROUNDS] [STARTS]     (defaults 500 and 20)

#include "stats.hpp"

#include <daemoniker/daemoniker.hpp>

#include <windows.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

std::wstring self_path() {
    wchar_t buf[MAX_PATH];
    ::GetModuleFileNameW(nullptr, buf, MAX_PATH);
    return buf;
}

HANDLE spawn_program(const std::wstring& exe, const std::wstring& args, DWORD flags = 0) {
    std::wstring cmd = L"\"" + exe + L"\" " + args;
    STARTUPINFOW si{};
    si.cb = sizeof si;
    PROCESS_INFORMATION pi{};
    if (!::CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, FALSE, flags, nullptr, nullptr, &si, &pi)) {
        std::fprintf(stderr, "windows_bench: CreateProcessW failed: %lu\n", ::GetLastError());
        std::exit(1);
    }
    ::CloseHandle(pi.hThread);
    return pi.hProcess;
}

HANDLE spawn(const std::wstring& args, DWORD flags = 0) { return spawn_program(self_path(), args, flags); }

// Runs to completion; the exit code.
DWORD run(const std::wstring& exe, const std::wstring& args) {
    HANDLE h = spawn_program(exe, args);
    ::WaitForSingleObject(h, INFINITE);
    DWORD code = 1;
    ::GetExitCodeProcess(h, &code);
    ::CloseHandle(h);
    return code;
}

std::wstring widen(const std::string& s) { return std::wstring(s.begin(), s.end()); }

// ---- roles -----------------------------------------------------------------

// The library daemon: SIGHUP's handler sets the "handled" event.
int role_library_daemon(const std::string& pid_file, const std::string& event_name) {
    daemoniker::daemonize(pid_file, {});
    HANDLE handled = ::OpenEventA(EVENT_MODIFY_STATE, FALSE, event_name.c_str());
    daemoniker::SignalHandler signals(pid_file);
    signals.set(daemoniker::Signal::sighup, [handled](int) { ::SetEvent(handled); });
    signals.start();
    try {
        signals.wait_for(std::chrono::minutes(5));
    } catch (const daemoniker::SigTerm&) {
    }
    return 0;
}

// The baseline daemon: a waiting child whose exit code is the signal.
int role_baseline_daemon(const std::string& event_name, const std::string& pid_slot_name) {
    HANDLE handled = ::OpenEventA(EVENT_MODIFY_STATE, FALSE, event_name.c_str());
    HANDLE slot_map = ::OpenFileMappingA(FILE_MAP_WRITE, FALSE, pid_slot_name.c_str());
    auto* slot = static_cast<volatile LONG*>(::MapViewOfFile(slot_map, FILE_MAP_WRITE, 0, 0, sizeof(LONG)));
    for (;;) {
        HANDLE child = spawn(L"sleeper", CREATE_NO_WINDOW);
        ::InterlockedExchange(const_cast<LONG*>(slot), static_cast<LONG>(::GetProcessId(child)));
        ::WaitForSingleObject(child, INFINITE);
        DWORD code = 0;
        ::GetExitCodeProcess(child, &code);
        ::CloseHandle(child);
        ::InterlockedExchange(const_cast<LONG*>(slot), 0);
        if (code == 15) return 0; // SIGTERM: stop
        ::SetEvent(handled);       // "the handler ran"
    }
}

// ---- measurements ----------------------------------------------------------

using bench::Stats;
using bench::stats;

double ms_since(clock_type::time_point t) { return std::chrono::duration<double, std::milli>(clock_type::now() - t).count(); }

void print(const char* name, const Stats& s, double ratio) {
    std::printf("%-40s %9.3f %9.3f %9.3f %9.3f %9.1f\n", name, s.median, s.p99, s.min, s.max, ratio);
}

} // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::string(argv[1]) == "sleeper") {
        ::Sleep(INFINITE);
        return 0;
    }
    if (argc >= 4 && std::string(argv[1]) == "library-daemon") return role_library_daemon(argv[2], argv[3]);
    if (argc >= 4 && std::string(argv[1]) == "baseline-daemon") return role_baseline_daemon(argv[2], argv[3]);
    if (argc >= 3 && std::string(argv[1]) == "start-daemon") {
        daemoniker::daemonize(argv[2], {});
        daemoniker::SignalHandler signals(argv[2]);
        signals.start();
        try {
            signals.wait_for(std::chrono::minutes(5));
        } catch (const daemoniker::ReceivedSignal&) {
        }
        return 0;
    }

    const int rounds = argc > 1 ? std::atoi(argv[1]) : 500;
    const int starts = argc > 2 ? std::atoi(argv[2]) : 20;
    if (rounds < 10 || starts < 3) {
        std::fprintf(stderr, "usage: windows_bench [ROUNDS>=10] [STARTS>=3]\n");
        return 64;
    }
    char tmp[MAX_PATH];
    ::GetTempPathA(MAX_PATH, tmp);
    const std::string tag = std::to_string(::GetCurrentProcessId());
    const std::string pid_file = std::string(tmp) + "dmn-bench-" + tag + ".pid";
    const std::string start_pid_file = std::string(tmp) + "dmn-bench-start-" + tag + ".pid";
    const std::string lib_event = "Local\\dmn-bench-lib-" + tag;
    const std::string base_event = "Local\\dmn-bench-base-" + tag;
    const std::string slot_name = "Local\\dmn-bench-slot-" + tag;
    HANDLE lib_handled = ::CreateEventA(nullptr, FALSE, FALSE, lib_event.c_str());
    HANDLE base_handled = ::CreateEventA(nullptr, FALSE, FALSE, base_event.c_str());
    HANDLE slot_map = ::CreateFileMappingA(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, 0, sizeof(LONG), slot_name.c_str());
    auto* slot = static_cast<volatile LONG*>(::MapViewOfFile(slot_map, FILE_MAP_ALL_ACCESS, 0, 0, sizeof(LONG)));
    *slot = 0;

    // The library daemon (its launcher returns once it runs).
    HANDLE launcher = spawn(L"library-daemon " + widen(pid_file) + L" " + widen(lib_event));
    ::WaitForSingleObject(launcher, INFINITE);
    ::CloseHandle(launcher);
    const auto lib_pid = daemoniker::inspect_pid_file(pid_file).pid;
    HANDLE lib_process = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(lib_pid));
    // Wait until its SignalHandler serves: the first send succeeds.
    for (int i = 0; i < 500; ++i) {
        std::error_code ec;
        daemoniker::send(pid_file, daemoniker::Signal::sighup, ec);
        if (!ec) break;
        ::Sleep(10);
    }
    ::WaitForSingleObject(lib_handled, 5000);

    HANDLE baseline = spawn(L"baseline-daemon " + widen(base_event) + L" " + widen(slot_name));

    std::vector<double> lib, lib_ack, base, base_cycle;
    for (int i = 0; i < rounds; ++i) {
        auto t = clock_type::now();
        daemoniker::send(pid_file, daemoniker::Signal::sighup);
        lib_ack.push_back(ms_since(t));
        ::WaitForSingleObject(lib_handled, INFINITE);
        lib.push_back(ms_since(t));

        // The baseline's sender waits for a listening child (the original
        // did too), then "sends" by terminating it with the signal number.
        LONG child;
        while ((child = *slot) == 0) ::SwitchToThread();
        t = clock_type::now();
        HANDLE c = ::OpenProcess(PROCESS_TERMINATE, FALSE, static_cast<DWORD>(child));
        ::TerminateProcess(c, 1); // SIGHUP
        ::CloseHandle(c);
        ::WaitForSingleObject(base_handled, INFINITE);
        base.push_back(ms_since(t));
        // The mechanism costs a new child per signal: until it listens, the
        // next signal cannot be sent.
        while (*slot == 0) ::SwitchToThread();
        base_cycle.push_back(ms_since(t));
    }

    // Stop both.
    daemoniker::send(pid_file, daemoniker::Signal::sigterm);
    ::WaitForSingleObject(lib_process, 10000);
    LONG child;
    while ((child = *slot) == 0) ::SwitchToThread();
    HANDLE c = ::OpenProcess(PROCESS_TERMINATE, FALSE, static_cast<DWORD>(child));
    ::TerminateProcess(c, 15);
    ::CloseHandle(c);
    ::WaitForSingleObject(baseline, 10000);

    // Start latency of daemonize(): launcher start -> launcher exit (0).
    std::vector<double> start_ms;
    for (int i = 0; i < starts; ++i) {
        const auto t = clock_type::now();
        HANDLE l = spawn(L"start-daemon " + widen(start_pid_file));
        ::WaitForSingleObject(l, INFINITE);
        start_ms.push_back(ms_since(t));
        ::CloseHandle(l);
        const auto pid = daemoniker::inspect_pid_file(start_pid_file).pid;
        HANDLE d = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
        for (int k = 0; k < 500; ++k) {
            std::error_code ec;
            daemoniker::send(start_pid_file, daemoniker::Signal::sigterm, ec);
            if (!ec) break;
            ::Sleep(2);
        }
        ::WaitForSingleObject(d, 10000);
        ::CloseHandle(d);
    }

    // The command, where it was built (build/windows/cli next to
    // build/windows/bench): `daemoniker start` of a program that serves no
    // channel, until it returns; then `daemoniker stop`, until it returns
    // with the program and its supervisor gone (TerminateProcess under Wine,
    // which delivers no console events).
    const std::wstring cli = std::filesystem::path(self_path()).parent_path().parent_path() / L"cli" / L"daemoniker.exe";
    const std::string cli_pid_file = std::string(tmp) + "dmn-bench-cli-" + tag + ".pid";
    std::vector<double> cli_start_ms, cli_stop_ms;
    if (std::filesystem::exists(cli)) {
        for (int i = 0; i < starts; ++i) {
            auto t = clock_type::now();
            const DWORD started = run(cli, L"start --pid-file " + widen(cli_pid_file) + L" -- \"" + self_path() + L"\" sleeper");
            cli_start_ms.push_back(ms_since(t));
            if (started != 0) {
                std::fprintf(stderr, "windows_bench: daemoniker start failed (%lu)\n", started);
                return 1;
            }
            t = clock_type::now();
            const DWORD stopped = run(cli, L"stop " + widen(cli_pid_file));
            cli_stop_ms.push_back(ms_since(t));
            if (stopped != 0) {
                std::fprintf(stderr, "windows_bench: daemoniker stop failed (%lu)\n", stopped);
                return 1;
            }
        }
    }

    const Stats l = stats(lib), a = stats(lib_ack), b = stats(base), c2 = stats(base_cycle), s = stats(start_ms);
    std::printf("Windows (under Wine), milliseconds, %d interleaved signal rounds, %d starts\n", rounds, starts);
    std::printf("%-40s %9s %9s %9s %9s %9s\n", "", "median", "p99", "min", "max", "vs base");
    print("daemoniker send() returns (acknowledged)", a, c2.median / a.median);
    print("daemoniker send() -> handler ran", l, c2.median / l.median);
    print("baseline: kill child -> handler ran", b, c2.median / b.median);
    print("baseline: per signal, with the new child", c2, 1.0);
    print("daemonize() launcher -> daemon running", s, 0.0);
    if (!cli_start_ms.empty()) {
        print("daemoniker start -> program running", stats(cli_start_ms), 0.0);
        print("daemoniker stop -> program gone", stats(cli_stop_ms), 0.0);
    }
    return 0;
}
