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

#include "exec.hpp"
#include "handoff.hpp"
#include "options.hpp"
#include "pid_file.hpp"
#include "startup.hpp"
#include "streams.hpp"
#include "supervise.hpp"
#include "sys.hpp"
#include "win.hpp"

#include <daemoniker/codec.hpp>
#include <daemoniker/daemonize.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace daemoniker::detail {

std::filesystem::path null_device() { return "NUL"; }
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
    std::wstring cmd;
    if (!options.explicit_rescript.empty()) {
        for (const auto& arg : options.explicit_rescript) {
            if (!cmd.empty()) cmd += L' ';
            cmd += win::quote_argument(win::widen(arg));
        }
        return cmd;
    }
    std::wstring exe(32768, L'\0');
    const DWORD n = ::GetModuleFileNameW(nullptr, exe.data(), static_cast<DWORD>(exe.size()));
    if (n == 0 || n >= exe.size()) {
        const auto ec = win::last_error();
        throw StartupError("cannot start daemon: GetModuleFileNameW: " + describe(ec), Step::validate, {}, ec);
    }
    exe.resize(n);
    cmd = win::quote_argument(exe);
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
std::wstring environment_with(const std::wstring& entry) {
    std::wstring block;
    wchar_t* env = ::GetEnvironmentStringsW();
    for (const wchar_t* p = env; p != nullptr && *p != L'\0'; p += std::wcslen(p) + 1) {
        const std::wstring_view e(p);
        if (e.rfind(switch_name, 0) == 0) continue;
        block.append(e);
        block.push_back(L'\0');
    }
    if (env != nullptr) ::FreeEnvironmentStringsW(env);
    block.append(entry);
    block.push_back(L'\0');
    block.push_back(L'\0');
    return block;
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

// Returns the daemon's PID once it reported success. `program`: the program
// a supervisor starts (daemonize-and-exec), for the message of its failure.
process_id run_original(const Resolved& r, const Options& options, const std::string& payload,
                        const std::filesystem::path* program) {
    SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    HANDLE raw[4] = {};
    if (!::CreatePipe(&raw[0], &raw[1], &inheritable, 0) || !::CreatePipe(&raw[2], &raw[3], &inheritable, 0)) {
        const auto ec = win::last_error();
        throw StartupError("cannot start daemon: create report pipe: " + describe(ec), Step::report_channel, {}, ec);
    }
    win::Handle handoff_read(raw[0]), handoff_write(raw[1]), report_read(raw[2]), report_write(raw[3]);
    // Only the daemon's ends are inherited.
    ::SetHandleInformation(handoff_write.get(), HANDLE_FLAG_INHERIT, 0);
    ::SetHandleInformation(report_read.get(), HANDLE_FLAG_INHERIT, 0);

    std::wstring cmd = command_line(options);
    const std::wstring entry = std::wstring(switch_name) + L"=" +
                               std::to_wstring(reinterpret_cast<std::uintptr_t>(handoff_read.get())) + L"," +
                               std::to_wstring(reinterpret_cast<std::uintptr_t>(report_write.get()));
    std::wstring env = environment_with(entry);

    // Exactly the two pipe ends are inherited, whatever else is inheritable.
    SIZE_T size = 0;
    ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    std::vector<char> attr_buf(size);
    auto* attrs = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attr_buf.data());
    HANDLE inherit[2] = {handoff_read.get(), report_write.get()};
    if (!::InitializeProcThreadAttributeList(attrs, 1, 0, &size) ||
        !::UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit, sizeof inherit, nullptr, nullptr))
        throw_launch(win::last_error(), "prepare the handle list");
    STARTUPINFOEXW si{};
    si.StartupInfo.cb = sizeof si;
    si.lpAttributeList = attrs;
    PROCESS_INFORMATION pi{};
    DWORD flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT;
    if (may_break_away()) flags |= CREATE_BREAKAWAY_FROM_JOB;
    BOOL ok = FALSE;
    if (const int e = sys::injected(Step::fork)) ::SetLastError(static_cast<DWORD>(e));
    else ok = ::CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, TRUE, flags, env.data(), nullptr, &si.StartupInfo, &pi);
    const auto create_error = win::last_error();
    ::DeleteProcThreadAttributeList(attrs);
    if (!ok) throw_launch(create_error, "CreateProcessW");
    win::Handle process(pi.hProcess);
    ::CloseHandle(pi.hThread);
    const process_id daemon = pi.dwProcessId;
    handoff_read.reset();
    report_write.reset(); // now the daemon holds the only write end: its death is EOF

    // The handoff: the resolved options, then the caller's arguments.
    const std::string bytes = encode_handoff(r, payload);
    const bool sent = write_all(handoff_write.get(), bytes.data(), bytes.size());
    handoff_write.reset();

    ReportReader reader(report_read.get());
    const auto deadline = std::chrono::steady_clock::now() + r.success_timeout;
    auto give_up = [&] {
        ::TerminateProcess(process.get(), exit_startup_failed);
        ::WaitForSingleObject(process.get(), 5000);
        remove_if_abandoned(r.pid_file, daemon);
    };
    (void)sent; // a failed write shows up as the daemon's handoff failure or its death
    for (;;) {
        Report rep;
        bool eof = false;
        if (!reader.next(rep, deadline, eof)) {
            if (!eof) {
                give_up();
                throw StartupTimeout("cannot start daemon: no report from the daemon (pid " + std::to_string(daemon) +
                                         ") within " + std::to_string(r.success_timeout.count()) + " ms; it was terminated",
                                     Step::wait, {}, std::make_error_code(std::errc::timed_out));
            }
            ::WaitForSingleObject(process.get(), 5000);
            DWORD code = 0;
            ::GetExitCodeProcess(process.get(), &code);
            remove_if_abandoned(r.pid_file, daemon);
            throw StartupError("cannot start daemon: the daemon (pid " + std::to_string(daemon) +
                                   ") died before reporting success (exit code " + std::to_string(code) + ")",
                               Step::wait, {}, std::make_error_code(std::errc::broken_pipe));
        }
        if (rep.magic != Report{}.magic) continue;
        if (rep.kind == Report::success) return daemon;
        if (rep.kind == Report::failure) {
            ::WaitForSingleObject(process.get(), 5000);
            if (program != nullptr && static_cast<Step>(rep.step) == Step::exec) {
                const std::error_code code(rep.error, std::system_category());
                if (static_cast<errc>(rep.detail) == errc::no_signal_channel)
                    throw StartupError("cannot start program: the supervisor cannot open its signal channel: " +
                                           describe(code) + "; the program was terminated",
                                       Step::exec, *program, code);
                throw StartupError("cannot start program: execute '" + program->string() + "': " + describe(code),
                                   Step::exec, *program, code);
            }
            throw_failure(static_cast<Step>(rep.step), r, report_code(rep), rep.value);
        }
    }
}

// ---- the re-launched daemon -------------------------------------------------

[[noreturn]] void fail_daemon(HANDLE report, Step step, DWORD error, errc detail = {}, process_id holder = 0) noexcept {
    if (HeldPidFile* file = held_for_life()) file->release();
    Report rep;
    rep.kind = Report::failure;
    rep.step = static_cast<std::int32_t>(step);
    rep.error = static_cast<std::int32_t>(error);
    rep.detail = static_cast<std::int32_t>(detail);
    rep.value = holder;
    write_all(report, &rep, sizeof rep);
    std::_Exit(exit_startup_failed);
}

// The daemonize-and-exec daemon's last step before it reports: starting the
// program. Its failure is reported as Step::exec (see Supervisor::launch).
using LastStep = std::function<Supervisor::Failure(const Resolved&, const std::string& payload)>;

Role run_daemon(std::string& payload, const LastStep& last_step = {}) {
    Switch& sw = the_switch();
    HANDLE report = sw.report;
    sw.present = false; // handed off: a later daemonize() in this process starts afresh

    // Read the whole handoff (the original closes its end after writing).
    std::string bytes;
    char buf[65536];
    for (;;) {
        DWORD n = 0;
        if (!::ReadFile(sw.handoff, buf, sizeof buf, &n, nullptr) || n == 0) break;
        bytes.append(buf, n);
    }
    ::CloseHandle(sw.handoff);
    Resolved r;
    try {
        if (const int e = sys::injected(Step::handoff)) fail_daemon(report, Step::handoff, static_cast<DWORD>(e));
        decode_handoff(bytes, r, payload);
    } catch (const DecodeError&) {
        fail_daemon(report, Step::handoff, ERROR_INVALID_DATA);
    }

    if (int e = sys::injected(Step::chdir)) fail_daemon(report, Step::chdir, static_cast<DWORD>(e));
    if (!::SetCurrentDirectoryW(r.chdir.c_str())) fail_daemon(report, Step::chdir, ::GetLastError());

    HeldPidFile file;
    PidFileFailure why;
    if (!file.acquire(r.pid_file, static_cast<process_id>(::GetCurrentProcessId()), why))
        fail_daemon(report, why.step, static_cast<DWORD>(why.error), why.detail, why.holder);
    keep_for_life(std::move(file));

    for (int fd = 0; fd < 3; ++fd) {
        const Step step = stream_step(fd);
        auto e = static_cast<DWORD>(sys::injected(step));
        if (e == 0) e = static_cast<DWORD>(redirect_stream(fd, stream_path(r, fd)));
        if (e != 0) fail_daemon(report, step, e);
    }
    remember_streams(r);

    if (last_step) {
        Supervisor::Failure failed{static_cast<std::uint32_t>(sys::injected(Step::exec)), {}};
        if (failed.error == 0) failed = last_step(r, payload);
        if (failed.error != 0) fail_daemon(report, Step::exec, failed.error, failed.detail);
    }

    if (int e = sys::injected(Step::report)) fail_daemon(report, Step::report, static_cast<DWORD>(e));
    Report ok;
    ok.kind = Report::success;
    ok.value = static_cast<std::int64_t>(::GetCurrentProcessId());
    if (!write_all(report, &ok, sizeof ok)) {
        // The original is gone: nobody learns that we run, so we do not.
        if (HeldPidFile* held = held_for_life()) held->release();
        std::_Exit(exit_startup_failed);
    }
    ::CloseHandle(report);
    return Role::relaunched;
}

} // namespace

bool is_relaunched() noexcept { return the_switch().present; }

Role start(const std::filesystem::path& pid_file, const Options& options, std::string& payload) {
    if (is_relaunched()) return run_daemon(payload);
    const Resolved r = resolve(pid_file, options);
    if (stays_in_foreground(options)) {
        run_foreground(r);
        return Role::daemon; // the caller's own arguments stay where they are
    }
    std::fflush(nullptr);
    run_original(r, options, payload, nullptr);
    return Role::original;
}

// Windows has no exec(): the daemon stays, as the program's supervisor (see
// supervise.hpp). It is this very executable, re-launched with the same
// command line, which reaches this function again as the daemon.
process_id start(const std::filesystem::path& pid_file, const Options& options, const ExecSpec& exec,
                 process_id* keeper) {
    if (is_relaunched()) {
        Supervisor supervisor;
        std::string payload;
        run_daemon(payload, [&](const Resolved& r, const std::string& bytes) { return supervisor.launch(r, bytes); });
        supervisor.run();
    }
    if (exec.program.empty() || exec.argv.empty()) throw OptionError("cannot start program: no program given");
    if (exec.credentials) throw OptionError("cannot start program: switching user or group is not supported on Windows");
    Options relaunch = options;
    relaunch.strip_cmd_args = false; // the daemon must parse the same command line
    relaunch.explicit_rescript.clear();
    relaunch.detach = Detach::always;
    const Resolved r = resolve(pid_file, relaunch);
    const auto program = std::filesystem::absolute(exec.program);
    std::fflush(nullptr);
    const process_id supervisor = run_original(r, relaunch, encode_program(program, exec), &program);
    if (keeper != nullptr) *keeper = supervisor;
    return supervisor;
}

} // namespace daemoniker::detail
