// Daemonization on Windows: there is no fork, so the running executable is
// started again as a detached process (no console, own process group, out of
// the caller's job when allowed). An environment switch tells the new process
// that it is the daemon; the options and the caller's arguments go down one
// inherited pipe, the report comes back up another.
//
//   original ── CreateProcessW ──> daemon (same executable, same arguments)
//      │  writes the handoff, then waits for the report (success_timeout)
//      └─ exits 0 on success, 1 with the failed step otherwise
//
// The order of the steps in the daemon (chdir, PID file, streams, report) is
// the POSIX order; docs/how-it-works.md explains it.

#include "continuation.hpp"
#include "foreground.hpp"
#include "handoff.hpp"
#include "options.hpp"
#include "pid_file_internal.hpp"
#include "service.hpp"
#include "startup.hpp"
#include "streams.hpp"
#include "sys.hpp"
#include "win.hpp"

#include <daemoniker/codec.hpp>
#include <daemoniker/daemonize.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

namespace daemoniker::detail {

std::string system_message(int code) { return win::message(static_cast<DWORD>(code)); }
bool transfers_payload() noexcept { return true; }

namespace {

// The environment switch; its value is "<handoff read handle>,<report write handle>".
constexpr wchar_t switch_name[] = L"DAEMONIKER_DAEMON_HANDOFF_7C1E";

struct Switch {
    bool present = false;
    HANDLE handoff = nullptr;
    HANDLE report = nullptr;
};

// Read once, then removed from the environment (both the Win32 block and
// the C runtime's copy), so programs the daemon starts do not inherit it.
Switch& the_switch() {
    static Switch s = [] {
        Switch out;
        wchar_t value[64];
        const DWORD n = ::GetEnvironmentVariableW(switch_name, value, 64);
        if (n == 0 || n >= 64) return out;
        unsigned long long a = 0, b = 0;
        if (std::swscanf(value, L"%llu,%llu", &a, &b) != 2) return out;
        out.present = true;
        out.handoff = reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(a));
        out.report = reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(b));
        ::SetEnvironmentVariableW(switch_name, nullptr);
        ::_wputenv((std::wstring(switch_name) + L"=").c_str());
        return out;
    }();
    return s;
}

bool write_all(HANDLE h, const void* data, std::size_t size) noexcept {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        DWORD n = 0;
        if (!::WriteFile(h, p, static_cast<DWORD>(size), &n, nullptr)) return false;
        p += n;
        size -= n;
    }
    return true;
}

// ---- original process --------------------------------------------------

std::wstring command_line(const Options& options) {
    if (!options.explicit_rescript.empty()) {
        std::vector<std::wstring> argv;
        for (const auto& arg : options.explicit_rescript) argv.push_back(win::widen(arg));
        return win::command_line(argv);
    }
    std::wstring exe(32768, L'\0');
    const DWORD n = ::GetModuleFileNameW(nullptr, exe.data(), static_cast<DWORD>(exe.size()));
    if (n == 0 || n >= exe.size()) {
        const auto ec = win::last_error();
        throw StartupError("cannot start daemon: GetModuleFileNameW: " + describe(ec), Step::validate, {}, ec);
    }
    exe.resize(n);
    std::wstring cmd = win::quote_argument(exe);
    if (options.strip_cmd_args) return cmd;
    // The arguments exactly as the caller got them: skip argv[0] the way the
    // C runtime parses it (quoted, or up to the first blank).
    std::wstring_view line = ::GetCommandLineW();
    std::size_t i = 0;
    if (!line.empty() && line[0] == L'"') {
        i = line.find(L'"', 1);
        i = i == std::wstring_view::npos ? line.size() : i + 1;
    } else {
        while (i < line.size() && line[i] != L' ' && line[i] != L'\t') ++i;
    }
    cmd += line.substr(i);
    return cmd;
}

// The current environment plus the switch, as a CreateProcessW block.
std::wstring environment_with(std::wstring entry) {
    std::vector<std::wstring> entries;
    wchar_t* env = ::GetEnvironmentStringsW();
    for (const wchar_t* p = env; p != nullptr && *p != L'\0'; p += std::wcslen(p) + 1) {
        const std::wstring_view e(p);
        if (e.rfind(switch_name, 0) != 0) entries.emplace_back(e);
    }
    if (env != nullptr) ::FreeEnvironmentStringsW(env);
    entries.push_back(std::move(entry));
    return win::environment_block(entries);
}

// Breaking away from a job (so closing the caller's job does not kill the
// daemon) is only allowed when the job permits it.
bool may_break_away() noexcept {
    BOOL in_job = FALSE;
    if (!::IsProcessInJob(::GetCurrentProcess(), nullptr, &in_job) || !in_job) return false;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION info{};
    if (!::QueryInformationJobObject(nullptr, JobObjectExtendedLimitInformation, &info, sizeof info, nullptr)) return false;
    return (info.BasicLimitInformation.LimitFlags & (JOB_OBJECT_LIMIT_BREAKAWAY_OK | JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK)) != 0;
}

[[noreturn]] void throw_launch(const std::error_code& ec, const std::string& what) {
    throw StartupError("cannot start daemon: " + what + ": " + describe(ec), Step::fork, {}, ec);
}

// Reads fixed-size records on a thread, so the original can wait with a
// deadline (anonymous pipes have no overlapped I/O).
class ReportReader {
public:
    explicit ReportReader(HANDLE pipe) : thread_([this, pipe] { run(pipe); }) {}
    ~ReportReader() { thread_.join(); }
    ReportReader(const ReportReader&) = delete;
    ReportReader& operator=(const ReportReader&) = delete;

    // A record, or nothing at EOF (eof set) or at the deadline (eof clear).
    bool next(Report& out, std::chrono::steady_clock::time_point deadline, bool& eof) {
        std::unique_lock lock(mutex_);
        cv_.wait_until(lock, deadline, [&] { return !records_.empty() || eof_; });
        eof = records_.empty() && eof_;
        if (records_.empty()) return false;
        out = records_.front();
        records_.pop_front();
        return true;
    }

private:
    void run(HANDLE pipe) {
        for (;;) {
            Report r;
            auto* p = reinterpret_cast<char*>(&r);
            std::size_t got = 0;
            while (got < sizeof r) {
                DWORD n = 0;
                if (!::ReadFile(pipe, p + got, static_cast<DWORD>(sizeof r - got), &n, nullptr) || n == 0) {
                    std::lock_guard lock(mutex_);
                    eof_ = true;
                    cv_.notify_all();
                    return;
                }
                got += n;
            }
            std::lock_guard lock(mutex_);
            records_.push_back(r);
            cv_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Report> records_;
    bool eof_ = false;
    std::thread thread_;
};

// The pipes between the original and the daemon: the handoff goes down, the
// report comes back up. Only the daemon's ends are inheritable.
struct Channels {
    win::Handle handoff_read, handoff_write, report_read, report_write;
};

Channels make_channels() {
    SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    HANDLE raw[4] = {};
    if (!::CreatePipe(&raw[0], &raw[1], &inheritable, 0) || !::CreatePipe(&raw[2], &raw[3], &inheritable, 0)) {
        const auto ec = win::last_error();
        for (HANDLE h : raw)
            if (h != nullptr) ::CloseHandle(h);
        throw StartupError("cannot start daemon: create report pipe: " + describe(ec), Step::report_channel, {}, ec);
    }
    Channels c{win::Handle(raw[0]), win::Handle(raw[1]), win::Handle(raw[2]), win::Handle(raw[3])};
    ::SetHandleInformation(c.handoff_write.get(), HANDLE_FLAG_INHERIT, 0);
    ::SetHandleInformation(c.report_read.get(), HANDLE_FLAG_INHERIT, 0);
    return c;
}

// Starts this executable again as the daemon, with the switch naming its
// two pipe ends (the only handles it inherits).
win::Handle relaunch(const Options& options, const Channels& c, process_id& daemon) {
    win::ProcessSpec spec;
    spec.command_line = command_line(options);
    spec.environment = environment_with(std::wstring(switch_name) + L"=" +
                                        std::to_wstring(reinterpret_cast<std::uintptr_t>(c.handoff_read.get())) +
                                        L"," + std::to_wstring(reinterpret_cast<std::uintptr_t>(c.report_write.get())));
    spec.inherit = {c.handoff_read.get(), c.report_write.get()};
    spec.flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
    if (may_break_away()) spec.flags |= CREATE_BREAKAWAY_FROM_JOB;
    PROCESS_INFORMATION pi{};
    DWORD error = static_cast<DWORD>(sys::injected(Step::fork));
    if (error == 0) error = win::create_process(spec, pi);
    if (error != 0) throw_launch({static_cast<int>(error), std::system_category()}, "CreateProcessW");
    ::CloseHandle(pi.hThread);
    daemon = pi.dwProcessId;
    return win::Handle(pi.hProcess);
}

// Waits for the daemon's verdict: its PID on success; throws otherwise,
// leaving nothing behind.
process_id await_report(const Resolved& r, HANDLE report, HANDLE process, process_id daemon, const Continuation* then) {
    ReportReader reader(report);
    const auto deadline = std::chrono::steady_clock::now() + r.success_timeout;
    for (;;) {
        Report rep;
        bool eof = false;
        if (reader.next(rep, deadline, eof)) {
            if (!rep.valid()) continue;
            if (rep.kind == Report::success) return daemon;
            if (rep.kind != Report::failure) continue;
            ::WaitForSingleObject(process, 5000);
            if (then != nullptr) then->throw_own_failure(rep.failure_of(), r);
            throw_failure(rep.failure_of(), r);
        }
        if (!eof) {
            ::TerminateProcess(process, exit_startup_failed);
            ::WaitForSingleObject(process, 5000);
            remove_if_abandoned(r.pid_file, daemon);
            throw StartupTimeout("cannot start daemon: no report from the daemon (pid " + std::to_string(daemon) +
                                     ") within " + std::to_string(r.success_timeout.count()) + " ms; it was terminated",
                                 Step::wait, {}, std::make_error_code(std::errc::timed_out));
        }
        ::WaitForSingleObject(process, 5000);
        DWORD code = 0;
        ::GetExitCodeProcess(process, &code);
        remove_if_abandoned(r.pid_file, daemon);
        throw StartupError("cannot start daemon: the daemon (pid " + std::to_string(daemon) +
                               ") died before reporting success (exit code " + std::to_string(code) + ")",
                           Step::wait, {}, std::make_error_code(std::errc::broken_pipe));
    }
}

} // namespace

process_id run_original(const Resolved& r, const Options& options, const std::string& payload,
                        const Continuation* then) {
    Channels c = make_channels();
    process_id daemon = 0;
    const win::Handle process = relaunch(options, c, daemon);
    c.handoff_read.reset();
    c.report_write.reset(); // now the daemon holds the only write end: its death is EOF

    // The handoff: the resolved options, then the caller's arguments. A
    // failed write shows up as the daemon's handoff failure or its death.
    const std::string bytes = encode_handoff(r, payload);
    write_all(c.handoff_write.get(), bytes.data(), bytes.size());
    c.handoff_write.reset();
    return await_report(r, c.report_read.get(), process.get(), daemon, then);
}

namespace {

// ---- the re-launched daemon -------------------------------------------------

[[noreturn]] void fail_daemon(HANDLE report, const Failure& failure) noexcept {
    if (HeldPidFile* file = held_for_life()) file->release();
    const Report rep = Report::failed(failure);
    write_all(report, &rep, sizeof rep);
    std::_Exit(exit_startup_failed);
}

[[noreturn]] void fail_daemon(HANDLE report, Step step, int error) noexcept { fail_daemon(report, {step, error}); }

// Reads the whole handoff (the original closes its end after writing).
Resolved receive_handoff(HANDLE handoff, HANDLE report, std::string& payload) {
    std::string bytes;
    char buf[65536];
    for (;;) {
        DWORD n = 0;
        if (!::ReadFile(handoff, buf, sizeof buf, &n, nullptr) || n == 0) break;
        bytes.append(buf, n);
    }
    ::CloseHandle(handoff);
    Resolved r;
    try {
        if (const int e = sys::injected(Step::handoff)) fail_daemon(report, Step::handoff, e);
        decode_handoff(bytes, r, payload);
    } catch (const DecodeError&) {
        fail_daemon(report, Step::handoff, ERROR_INVALID_DATA);
    }
    return r;
}

} // namespace

Role run_daemon(std::string& payload, Continuation* then) {
    Switch& sw = the_switch();
    HANDLE report = sw.report;
    sw.present = false; // handed off: a later daemonize() in this process starts afresh
    const Resolved r = receive_handoff(sw.handoff, report, payload);

    if (int e = sys::injected(Step::chdir)) fail_daemon(report, Step::chdir, e);
    if (!::SetCurrentDirectoryW(r.chdir.c_str())) fail_daemon(report, Step::chdir, static_cast<int>(::GetLastError()));

    HeldPidFile file;
    Failure why;
    if (!file.acquire(r.pid_file, static_cast<process_id>(::GetCurrentProcessId()), why)) fail_daemon(report, why);
    keep_for_life(std::move(file));

    for (int fd = 0; fd < 3; ++fd) {
        const Step step = stream_step(fd);
        int e = sys::injected(step);
        if (e == 0) e = redirect_stream(fd, stream_path(r, fd));
        if (e != 0) fail_daemon(report, step, e);
    }
    remember_streams(r);

    if (then != nullptr) {
        Failure failed{Step::exec, sys::injected(Step::exec)};
        if (failed.error == 0) failed = then->start(r, payload);
        if (failed.error != 0 || failed.detail != errc{}) fail_daemon(report, failed);
    }

    if (int e = sys::injected(Step::report)) fail_daemon(report, Step::report, e);
    const Report ok = Report::naming(Report::success, static_cast<std::int64_t>(::GetCurrentProcessId()));
    if (!write_all(report, &ok, sizeof ok)) {
        // The original is gone: nobody learns that we run, so we do not.
        if (HeldPidFile* held = held_for_life()) held->release();
        std::_Exit(exit_startup_failed);
    }
    ::CloseHandle(report);
    if (then != nullptr) then->serve();
    return Role::relaunched;
}

bool is_relaunched() noexcept { return the_switch().present; }

Role start(const std::filesystem::path& pid_file, const Options& options, std::string& payload) {
    if (is_relaunched()) return run_daemon(payload, nullptr);
    const Resolved r = resolve(pid_file, options);
    // Started by the SCM: this process is the service, whatever `detach`
    // says (a re-launched daemon would be no service, and the SCM would
    // wait for a status report that never comes).
    if (service::started_by_scm()) {
        service::run_startup(r);
        return Role::daemon;
    }
    if (stays_in_foreground(options)) {
        run_foreground(r);
        return Role::daemon; // the caller's own arguments stay where they are
    }
    std::fflush(nullptr);
    run_original(r, options, payload, nullptr);
    return Role::original;
}

} // namespace daemoniker::detail
