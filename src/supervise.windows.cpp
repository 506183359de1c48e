// The supervisor of `daemoniker start` on Windows: see supervise.hpp.

#include "supervise.hpp"

#include "exec.hpp"
#include "win.hpp"

#include <daemoniker/codec.hpp>
#include <daemoniker/signals.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

namespace daemoniker::detail {

std::string encode_program(const std::filesystem::path& program, const ExecSpec& exec) {
    return daemoniker::encode(program, exec.argv, exec.env);
}

struct Supervisor::State {
    std::filesystem::path pid_file;
    win::Handle job;
    win::Handle process;
    DWORD pid = 0;
    std::uint64_t created = 0;
    std::optional<SignalHandler> handler;

    // One line on the supervisor's stderr (the daemon's --stderr file).
    static void log(const std::string& line) {
        std::fprintf(stderr, "daemoniker: %s\n", line.c_str());
        std::fflush(stderr);
    }

    void terminate(UINT code, int signal_number) const {
        if (!::TerminateProcess(process.get(), code) && ::WaitForSingleObject(process.get(), 0) != WAIT_OBJECT_0)
            log("cannot terminate the program (pid " + std::to_string(pid) + ") for signal " +
                std::to_string(signal_number) + ": " + win::message(::GetLastError()));
    }

    // Ctrl-Break to the program's process group, through its console.
    // (Attaching may point this process's standard handles at the console:
    // they are put back, the supervisor's stderr is its log.)
    [[nodiscard]] bool console_break() const {
        const DWORD ids[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
        HANDLE saved[3];
        for (int i = 0; i < 3; ++i) saved[i] = ::GetStdHandle(ids[i]);
        if (!::AttachConsole(pid)) return false;
        const bool sent = ::GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, pid) != 0;
        ::FreeConsole();
        for (int i = 0; i < 3; ++i) ::SetStdHandle(ids[i], saved[i]);
        return sent;
    }

    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() {
        // A listener thread already inside on_receipt() finishes safely: the
        // handler, declared last, is destroyed first, and joins it while the
        // other members still live.
        win::set_receipt_filter(nullptr, nullptr);
    }

    // SIGHUP, SIGUSR1 and SIGUSR2 are passed on at receipt, before the
    // supervisor acknowledges: the sender then learns whether the program
    // took the signal or whether it was dropped. (SIGINT, SIGTERM and SIGABRT
    // always have an effect, so they go the asynchronous way, deliver().)
    // This runs on the channel's listener thread: the pass-on is bounded, so
    // a program that stopped answering cannot keep `stop` from reaching the
    // supervisor.
    static win::Receipt on_receipt(int number, void* context) noexcept {
        const auto signal = signal_from_number(number);
        if (context == nullptr || !signal ||
            (*signal != Signal::sighup && *signal != Signal::sigusr1 && *signal != Signal::sigusr2))
            return win::Receipt::pass;
        const auto& s = *static_cast<const State*>(context);
        // The program is gone, and the supervisor about to follow it.
        if (::WaitForSingleObject(s.process.get(), 0) == WAIT_OBJECT_0) return win::Receipt::dropped;
        std::error_code ec;
        win::send_to_channel(s.pid, s.created, number, ec, std::chrono::milliseconds(20), std::chrono::seconds(1));
        if (!ec) return win::Receipt::done;
        const bool dropped = ec == errc::signal_dropped || ec == errc::no_signal_channel;
        try {
            const std::string name(to_string(*signal));
            if (ec == errc::signal_dropped) {
                log(name + " dropped: the program (pid " + std::to_string(s.pid) + ") has no action for it");
            } else if (ec == errc::no_signal_channel) {
                log(name + " dropped: the program (pid " + std::to_string(s.pid) +
                    ") serves no daemoniker signal channel, and Windows has no equivalent");
            } else {
                // The program may or may not have it: not a drop to report.
                log("cannot pass " + name + " on over the program's channel (pid " + std::to_string(s.pid) +
                    "): " + ec.message());
            }
        } catch (...) { // out of memory for the log line: the verdict stands
        }
        return dropped ? win::Receipt::dropped : win::Receipt::done;
    }

    void deliver(int number) const {
        // The program is gone, and the supervisor about to follow it.
        if (::WaitForSingleObject(process.get(), 0) == WAIT_OBJECT_0) return;
        std::error_code ec;
        // Little patience: a program whose SignalHandler runs always has an
        // instance of its pipe, and one that has none cannot be kept waiting.
        win::send_to_channel(pid, created, number, ec, std::chrono::milliseconds(20));
        if (!ec) return;
        if (ec != errc::no_signal_channel)
            log("cannot pass signal " + std::to_string(number) + " on over the program's channel: " + ec.message());
        const auto signal = signal_from_number(number);
        if (!signal) return;
        switch (*signal) {
        case Signal::sigint:
        case Signal::sigterm:
            if (console_break()) return;
            log(std::string(to_string(*signal)) + ": the program (pid " + std::to_string(pid) +
                ") serves no daemoniker signal channel and has no console for Ctrl-Break; terminating it");
            terminate(static_cast<UINT>(128 + number), number);
            return;
        case Signal::sigabrt:
            log("SIGABRT: terminating the program (pid " + std::to_string(pid) + ") with exit code 3, as abort() would");
            terminate(3, number);
            return;
        case Signal::sighup:
        case Signal::sigusr1:
        case Signal::sigusr2: return; // passed on at receipt (on_receipt)
        }
    }
};

Supervisor::Supervisor() : state_(std::make_unique<State>()) {}
Supervisor::~Supervisor() = default;

namespace {

std::wstring command_line(const std::vector<std::string>& argv) {
    std::wstring line;
    for (const auto& arg : argv) {
        if (!line.empty()) line += L' ';
        line += win::quote_argument(win::widen(arg));
    }
    return line;
}

std::wstring environment_block(const std::vector<std::string>& env) {
    std::wstring block;
    for (const auto& entry : env) {
        block += win::widen(entry);
        block.push_back(L'\0');
    }
    if (block.empty()) block.push_back(L'\0');
    block.push_back(L'\0');
    return block;
}

} // namespace

Supervisor::Failure Supervisor::launch(const Resolved& r, std::string_view payload) noexcept {
    State& s = *state_;
    s.pid_file = r.pid_file;
    std::filesystem::path program;
    std::vector<std::string> argv;
    std::vector<std::string> env;
    try {
        std::tie(program, argv, env) =
            daemoniker::decode<std::filesystem::path, std::vector<std::string>, std::vector<std::string>>(payload);
        if (argv.empty()) return {ERROR_INVALID_DATA, {}};
    } catch (...) {
        return {ERROR_INVALID_DATA, {}};
    }
    std::wstring cmd;
    std::wstring block;
    try {
        cmd = command_line(argv);
        block = environment_block(env);
    } catch (...) {
        return {ERROR_NOT_ENOUGH_MEMORY, {}};
    }

    // The job ends the program and everything it started when the supervisor
    // ends, however it ends (TerminateProcess by `stop`'s KILL included).
    s.job.reset(::CreateJobObjectW(nullptr, nullptr));
    if (!s.job.valid()) return {::GetLastError(), {}};
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!::SetInformationJobObject(s.job.get(), JobObjectExtendedLimitInformation, &limits, sizeof limits))
        return {::GetLastError(), {}};

    // The program gets the daemon's redirected streams, and nothing else.
    HANDLE streams[3] = {::GetStdHandle(STD_INPUT_HANDLE), ::GetStdHandle(STD_OUTPUT_HANDLE),
                         ::GetStdHandle(STD_ERROR_HANDLE)};
    HANDLE inherit[3];
    DWORD count = 0;
    for (HANDLE h : streams) {
        if (h == nullptr || h == INVALID_HANDLE_VALUE) continue;
        bool seen = false;
        for (DWORD i = 0; i < count; ++i) seen = seen || inherit[i] == h;
        if (seen) continue;
        if (!::SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT)) return {::GetLastError(), {}};
        inherit[count++] = h;
    }
    SIZE_T size = 0;
    ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    std::vector<char> attr_buf(size);
    auto* attrs = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attr_buf.data());
    if (!::InitializeProcThreadAttributeList(attrs, 1, 0, &size)) return {::GetLastError(), {}};
    if (count > 0 && !::UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit,
                                                  count * sizeof(HANDLE), nullptr, nullptr)) {
        const DWORD e = ::GetLastError();
        ::DeleteProcThreadAttributeList(attrs);
        return {e, {}};
    }
    STARTUPINFOEXW si{};
    si.StartupInfo.cb = sizeof si;
    si.lpAttributeList = attrs;
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES | STARTF_USESHOWWINDOW;
    si.StartupInfo.hStdInput = streams[0];
    si.StartupInfo.hStdOutput = streams[1];
    si.StartupInfo.hStdError = streams[2];
    si.StartupInfo.wShowWindow = SW_HIDE;
    // Its own hidden console and process group: Ctrl-Break can then be
    // addressed to the program alone. Suspended until it is in the job, so
    // nothing it starts can escape.
    const DWORD flags = CREATE_NEW_CONSOLE | CREATE_NEW_PROCESS_GROUP | CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT |
                        EXTENDED_STARTUPINFO_PRESENT;
    PROCESS_INFORMATION pi{};
    const BOOL ok = ::CreateProcessW(program.c_str(), cmd.data(), nullptr, nullptr, count > 0, flags, block.data(),
                                     nullptr, &si.StartupInfo, &pi);
    const DWORD create_error = ok ? 0 : ::GetLastError();
    ::DeleteProcThreadAttributeList(attrs);
    for (DWORD i = 0; i < count; ++i) ::SetHandleInformation(inherit[i], HANDLE_FLAG_INHERIT, 0);
    if (!ok) return {create_error, {}};
    s.process.reset(pi.hProcess);
    win::Handle thread(pi.hThread);
    if (!::AssignProcessToJobObject(s.job.get(), s.process.get()) || ::ResumeThread(thread.get()) == static_cast<DWORD>(-1)) {
        const DWORD e = ::GetLastError();
        ::TerminateProcess(s.process.get(), 1);
        return {e, {}};
    }
    s.pid = pi.dwProcessId;
    s.created = win::creation_time(s.process.get());

    // The channel opens before success is reported: a `stop` right after
    // `start` returns finds it.
    win::set_receipt_filter(&State::on_receipt, &s);
    try {
        s.handler.emplace(s.pid_file);
        for (int i = 0; i < signal_count; ++i)
            s.handler->set(static_cast<Signal>(i), [&s](int number) { s.deliver(number); });
        s.handler->start();
    } catch (const SignalError& e) {
        ::TerminateProcess(s.process.get(), 1);
        // Only a Win32 code travels as one; the library's own say little here.
        const bool win32 = e.code().category() == std::system_category() && e.code().value() != 0;
        return {win32 ? static_cast<std::uint32_t>(e.code().value()) : ERROR_GEN_FAILURE, errc::no_signal_channel};
    } catch (...) {
        ::TerminateProcess(s.process.get(), 1);
        return {ERROR_NOT_ENOUGH_MEMORY, errc::no_signal_channel};
    }
    return {};
}

void Supervisor::run() {
    State& s = *state_;
    ::WaitForSingleObject(s.process.get(), INFINITE);
    s.handler->stop();
    DWORD code = 1;
    ::GetExitCodeProcess(s.process.get(), &code);
    std::exit(static_cast<int>(code)); // exit-time cleanup removes the PID file
}

} // namespace daemoniker::detail
