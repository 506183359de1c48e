// The supervisor of `daemoniker start` on Windows: see supervise.hpp.

#include "supervise.hpp"

#include "exec.hpp"
#include "service.hpp"
#include "startup.hpp"
#include "signal_channel.hpp"
#include "win.hpp"

#include <daemoniker/codec.hpp>
#include <daemoniker/signals.hpp>

#include <cstdio>
#include <cstdlib>
#include <new>
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

    // Starts the program suspended in the job, then resumes it; 0 or the Win32 error.
    DWORD create(win::ProcessSpec& spec) noexcept;

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

// The program, its argv and environment, as CreateProcessW takes them; 0
// or the Win32 error.
DWORD decode_program(std::string_view payload, win::ProcessSpec& spec) noexcept {
    try {
        const auto [program, argv, env] =
            daemoniker::decode<std::filesystem::path, std::vector<std::string>, std::vector<std::string>>(payload);
        if (argv.empty()) return ERROR_INVALID_DATA;
        std::vector<std::wstring> wide;
        for (const auto& arg : argv) wide.push_back(win::widen(arg));
        spec.command_line = win::command_line(wide);
        wide.clear();
        for (const auto& entry : env) wide.push_back(win::widen(entry));
        spec.environment = win::environment_block(wide);
        spec.application = program.wstring();
        return 0;
    } catch (const std::bad_alloc&) {
        return ERROR_NOT_ENOUGH_MEMORY;
    } catch (...) {
        return ERROR_INVALID_DATA;
    }
}

// A job that ends the program and everything it started when the supervisor
// ends, however it ends (TerminateProcess by `stop`'s KILL included).
DWORD make_kill_on_close_job(win::Handle& job) noexcept {
    job.reset(::CreateJobObjectW(nullptr, nullptr));
    if (!job.valid()) return ::GetLastError();
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!::SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &limits, sizeof limits))
        return ::GetLastError();
    return 0;
}

} // namespace

DWORD Supervisor::State::create(win::ProcessSpec& spec) noexcept {
    // The program gets the daemon's redirected streams, and nothing else.
    spec.std_handles = true;
    spec.standard[0] = ::GetStdHandle(STD_INPUT_HANDLE);
    spec.standard[1] = ::GetStdHandle(STD_OUTPUT_HANDLE);
    spec.standard[2] = ::GetStdHandle(STD_ERROR_HANDLE);
    spec.inherit.assign(spec.standard, spec.standard + 3);
    spec.hidden_window = true;
    // Its own hidden console and process group: Ctrl-Break can then be
    // addressed to the program alone. Suspended until it is in the job, so
    // nothing it starts can escape.
    spec.flags = CREATE_NEW_CONSOLE | CREATE_NEW_PROCESS_GROUP | CREATE_SUSPENDED;
    PROCESS_INFORMATION pi{};
    if (const DWORD e = win::create_process(spec, pi)) return e;
    process.reset(pi.hProcess);
    win::Handle thread(pi.hThread);
    if (!::AssignProcessToJobObject(job.get(), process.get()) || ::ResumeThread(thread.get()) == static_cast<DWORD>(-1)) {
        const DWORD e = ::GetLastError();
        ::TerminateProcess(process.get(), 1);
        return e;
    }
    pid = pi.dwProcessId;
    created = win::creation_time(process.get());
    return 0;
}

Failure Supervisor::launch(const Resolved& r, std::string_view payload) noexcept {
    State& s = *state_;
    s.pid_file = r.pid_file;
    win::ProcessSpec spec;
    if (const DWORD e = decode_program(payload, spec)) return {Step::exec, static_cast<int>(e)};
    if (const DWORD e = make_kill_on_close_job(s.job)) return {Step::exec, static_cast<int>(e)};
    if (const DWORD e = s.create(spec)) return {Step::exec, static_cast<int>(e)};

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
        return {Step::exec, win32 ? e.code().value() : static_cast<int>(ERROR_GEN_FAILURE), errc::no_signal_channel};
    } catch (...) {
        ::TerminateProcess(s.process.get(), 1);
        return {Step::exec, static_cast<int>(ERROR_NOT_ENOUGH_MEMORY), errc::no_signal_channel};
    }
    return {Step::exec};
}

void Supervisor::run() {
    State& s = *state_;
    ::WaitForSingleObject(s.process.get(), INFINITE);
    s.handler->stop();
    DWORD code = 1;
    ::GetExitCodeProcess(s.process.get(), &code);
    service::stopped(static_cast<int>(code)); // as a service: STOPPED with the program's status
    std::exit(static_cast<int>(code)); // exit-time cleanup removes the PID file
}

} // namespace daemoniker::detail
