// Windows services: see service.hpp. What Wine showed about the SCM, and why
// the dispatcher runs on a thread of its own, is in docs/how-it-works.md
// ("Windows services").

#include "service.hpp"

#include "foreground.hpp"
#include "pid_file_internal.hpp"
#include "signal_channel.hpp"
#include "startup.hpp"
#include "win.hpp"

#include <daemoniker/daemonize.hpp>
#include <daemoniker/errors.hpp>
#include <daemoniker/signals.hpp>

#include <tlhelp32.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cwctype>
#include <exception>
#include <mutex>
#include <optional>
#include <string>

namespace daemoniker::detail::service {

namespace {

// The wait hints: how long the SCM (and `sc`, and our command) should allow
// before it considers a pending start or stop hung. Generous: the startup
// steps are quick, a program's cleanup may not be.
constexpr DWORD start_hint_ms = 30000;
constexpr DWORD stop_hint_ms = 30000;
// What abort() gives as the process's exit code on Windows.
constexpr DWORD abort_status = 3;

struct State {
    std::mutex mutex; // guards status and the reports
    SERVICE_STATUS_HANDLE handle = nullptr;
    SERVICE_STATUS status{};
    std::wstring name;
    HANDLE registered = nullptr; // set by service_main() once the handler is registered
    DWORD error = 0;             // service_main()'s or the dispatcher's failure
    bool connected = false;
    int exit_status = 0;                    // set_exit_status(): reported at exit
    std::optional<std::filesystem::path> stderr_path; // where fail() and terminate write their line
    std::terminate_handler previous_terminate = nullptr;
    LPTOP_LEVEL_EXCEPTION_FILTER previous_filter = nullptr;
};

State& state() {
    static State s;
    return s;
}

// Under the mutex.
void report_locked(State& s, DWORD current, DWORD win32_exit = NO_ERROR, DWORD specific = 0, DWORD hint = 0) noexcept {
    if (s.handle == nullptr || s.status.dwCurrentState == SERVICE_STOPPED) return;
    const bool pending = current == SERVICE_START_PENDING || current == SERVICE_STOP_PENDING;
    s.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    s.status.dwCheckPoint = pending && s.status.dwCurrentState == current ? s.status.dwCheckPoint + 1 : 0;
    s.status.dwCurrentState = current;
    s.status.dwControlsAccepted =
        current == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN : 0;
    s.status.dwWin32ExitCode = win32_exit;
    s.status.dwServiceSpecificExitCode = specific;
    s.status.dwWaitHint = hint;
    ::SetServiceStatus(s.handle, &s.status);
}

void report(DWORD current, DWORD win32_exit = NO_ERROR, DWORD specific = 0, DWORD hint = 0) noexcept {
    State& s = state();
    std::lock_guard lock(s.mutex);
    report_locked(s, current, win32_exit, specific, hint);
}

// Registered with atexit() by connect(): a program that returns from main()
// or calls exit() ends the service. Its exit status is not known here
// (exit() runs this before ExitProcess records it): set_exit_status() tells it.
void stopped_at_exit() noexcept {
    State& s = state();
    int status = 0;
    {
        std::lock_guard lock(s.mutex);
        status = s.exit_status;
    }
    stopped(status);
}

// STOP, SHUTDOWN and PRESHUTDOWN become SIGTERM, delivered the way send()
// delivers it: over this process's own signal channel, so the receipt filter
// of a supervisor and the SignalHandler's actions apply unchanged. Runs on a
// thread of the dispatcher's; returns within the channel's limit.
void request_stop() noexcept {
    std::error_code ec;
    // A program may start its SignalHandler just after daemonize() returned.
    win::send_to_channel(::GetCurrentProcessId(), win::creation_time(::GetCurrentProcess()), SIGTERM, ec,
                         std::chrono::seconds(1));
    if (!ec) return;
    // No channel: SIGTERM's default action, the end of the process (its PID
    // file lock goes with it).
    const int status = 128 + SIGTERM;
    stopped(status);
    ::ExitProcess(static_cast<UINT>(status));
}

DWORD WINAPI on_control(DWORD control, DWORD, void*, void*) {
    switch (control) {
    case SERVICE_CONTROL_INTERROGATE: return NO_ERROR;
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
    case SERVICE_CONTROL_PRESHUTDOWN:
        report(SERVICE_STOP_PENDING, NO_ERROR, 0, stop_hint_ms);
        request_stop();
        return NO_ERROR;
    default: return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

// Runs on a thread the dispatcher starts. Returns at once: the service
// lives on in the program's own threads, and the dispatcher keeps serving
// controls until SERVICE_STOPPED is reported.
void WINAPI service_main(DWORD argc, wchar_t** argv) {
    State& s = state();
    {
        std::lock_guard lock(s.mutex);
        s.name = argc > 0 && argv[0] != nullptr ? argv[0] : L"";
        s.handle = ::RegisterServiceCtrlHandlerExW(s.name.c_str(), on_control, nullptr);
        if (s.handle == nullptr) s.error = ::GetLastError();
        else report_locked(s, SERVICE_START_PENDING, NO_ERROR, 0, start_hint_ms);
    }
    ::SetEvent(s.registered);
}

DWORD WINAPI dispatcher(void*) {
    static wchar_t any_name[] = L""; // ignored for a SERVICE_WIN32_OWN_PROCESS service
    SERVICE_TABLE_ENTRYW table[] = {{any_name, service_main}, {nullptr, nullptr}};
    if (!::StartServiceCtrlDispatcherW(table)) return ::GetLastError();
    return 0;
}

std::wstring lower(std::wstring s) {
    for (auto& c : s) c = static_cast<wchar_t>(std::towlower(c));
    return s;
}

bool decide_started_by_scm() {
    const DWORD self = ::GetCurrentProcessId();
    win::Handle snap(::CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0));
    if (!snap.valid()) return false;
    DWORD parent = 0;
    PROCESSENTRY32W e{};
    e.dwSize = sizeof e;
    for (BOOL ok = ::Process32FirstW(snap.get(), &e); ok; ok = ::Process32NextW(snap.get(), &e))
        if (e.th32ProcessID == self) parent = e.th32ParentProcessID;
    if (parent == 0) return false;
    win::Handle process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, parent));
    if (!process.valid()) return false;
    // A parent that ended and whose PID was reused is younger than we are.
    if (win::creation_time(process.get()) > win::creation_time(::GetCurrentProcess())) return false;
    std::wstring image(32768, L'\0');
    DWORD size = static_cast<DWORD>(image.size());
    if (!::QueryFullProcessImageNameW(process.get(), 0, image.data(), &size)) return false;
    image.resize(size);
    wchar_t system[MAX_PATH];
    const UINT n = ::GetSystemDirectoryW(system, MAX_PATH);
    if (n == 0 || n >= MAX_PATH) return false;
    return lower(image) == lower(std::wstring(system, n) + L"\\services.exe");
}

void append_line(const std::filesystem::path& file, std::string_view line) noexcept {
    if (FILE* f = ::_wfopen(file.c_str(), L"ab")) {
        std::fprintf(f, "daemoniker: %.*s\n", static_cast<int>(line.size()), line.data());
        std::fclose(f);
    }
}

void log_event(const std::wstring& source, std::string_view line) noexcept {
    try {
        HANDLE log = ::RegisterEventSourceW(nullptr, source.c_str());
        if (log == nullptr) return;
        const std::wstring text = win::widen(line);
        const wchar_t* strings[] = {text.c_str()};
        ::ReportEventW(log, EVENTLOG_ERROR_TYPE, 0, 1, nullptr, 1, 0, strings, nullptr);
        ::DeregisterEventSource(log);
    } catch (...) { // out of memory: the stderr file and the exit code remain
    }
}

void remember_stderr(const Resolved& r) noexcept {
    State& s = state();
    std::lock_guard lock(s.mutex);
    try {
        if (r.stream_given[2]) s.stderr_path = r.stderr_path;
    } catch (...) { // out of memory: the event log and the exit code remain
    }
}

// True when this process's standard error already is the stderr file.
bool stderr_is(const Resolved& r) noexcept {
    if (!r.stream_given[2]) return false;
    const win::Handle file(::CreateFileW(r.stderr_path.c_str(), 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                         nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
    return file.valid() && win::same_file(::GetStdHandle(STD_ERROR_HANDLE), file.get());
}

// The line, in the stderr file (when one was given and `to_file`) and the event log.
void tell_administrator(std::string_view line, bool to_file = true) noexcept {
    State& s = state();
    std::wstring name;
    std::optional<std::filesystem::path> file;
    {
        std::lock_guard lock(s.mutex);
        name = s.name;
        file = s.stderr_path;
    }
    if (file && to_file) append_line(*file, line);
    log_event(name.empty() ? L"daemoniker" : name, line);
}

// An exception nobody caught (a SigTerm the program does not catch among
// them) ends the process through abort(), which runs no exit handler: the
// service is reported stopped with abort()'s status, 3, and the exception's
// text is told the administrator.
[[noreturn]] void stopped_on_terminate() noexcept {
    std::string line = "terminate called";
    if (const std::exception_ptr e = std::current_exception()) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            line += std::string(" after an uncaught exception: ") + x.what();
        } catch (...) {
            line += " after an uncaught exception";
        }
    }
    tell_administrator(line);
    report(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, abort_status);
    if (std::terminate_handler previous = state().previous_terminate) previous();
    std::abort();
}

// The exception codes of a C++ throw that found no catch: GCC's (SEH
// unwinding, "GCC" in the code) and MSVC's.
constexpr DWORD gcc_throw = 0x20474343;
constexpr DWORD msvc_throw = 0xE06D7363;

// A thread's exception that nothing handled: a crash (an access violation,
// say; measured under Wine), reported stopped with its code before Windows
// ends the process, instead of the service being left STOP_PENDING or
// RUNNING. A C++ exception that arrives here goes on to std::terminate, to
// be reported as the exception it is.
LONG WINAPI stopped_on_crash(EXCEPTION_POINTERS* info) {
    const DWORD code = info != nullptr && info->ExceptionRecord != nullptr ? info->ExceptionRecord->ExceptionCode : 0;
    if (code == gcc_throw || code == msvc_throw) std::terminate(); // the PID file's handler and stopped_on_terminate()
    // The crash may have come while this thread held the state's mutex
    // (inside SetServiceStatus, say): then there is nothing safe to do but
    // let Windows end the process.
    State& s = state();
    std::unique_lock lock(s.mutex, std::try_to_lock);
    if (lock.owns_lock()) {
        std::wstring name = s.name;
        const std::optional<std::filesystem::path> file = s.stderr_path;
        report_locked(s, SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, code);
        lock.unlock();
        char line[96];
        std::snprintf(line, sizeof line, "the process crashed: exception 0x%08lX", static_cast<unsigned long>(code));
        if (file) append_line(*file, line);
        log_event(name.empty() ? L"daemoniker" : name, line);
    }
    const LPTOP_LEVEL_EXCEPTION_FILTER previous = s.previous_filter;
    return previous != nullptr ? previous(info) : EXCEPTION_CONTINUE_SEARCH;
}

} // namespace

bool started_by_scm() noexcept {
    static const bool yes = [] {
        try {
            return decide_started_by_scm();
        } catch (...) {
            return false;
        }
    }();
    return yes;
}

bool connected() noexcept {
    State& s = state();
    std::lock_guard lock(s.mutex);
    return s.connected;
}

std::error_code connect() noexcept {
    State& s = state();
    if (connected()) return {};
    s.registered = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (s.registered == nullptr) return win::last_error();
    // StartServiceCtrlDispatcherW blocks for the service's life; the main
    // thread belongs to the program. The SCM accepts it from any thread
    // (measured under Wine; Go's x/sys/windows/svc does the same on Windows).
    HANDLE thread = ::CreateThread(nullptr, 0, dispatcher, nullptr, 0, nullptr);
    if (thread == nullptr) return win::last_error();
    HANDLE both[2] = {s.registered, thread};
    const DWORD r = ::WaitForMultipleObjects(2, both, FALSE, start_hint_ms);
    DWORD error = 0;
    if (r == WAIT_OBJECT_0 + 1) {
        ::GetExitCodeThread(thread, &error);
        if (error == 0) error = ERROR_SERVICE_NOT_ACTIVE;
    } else if (r != WAIT_OBJECT_0) {
        error = r == WAIT_TIMEOUT ? ERROR_SERVICE_REQUEST_TIMEOUT : ::GetLastError();
    }
    ::CloseHandle(thread);
    std::lock_guard lock(s.mutex);
    if (error == 0) error = s.error;
    if (error != 0) return {static_cast<int>(error), std::system_category()};
    s.connected = true;
    std::atexit([] { stopped_at_exit(); });
    s.previous_terminate = std::set_terminate(stopped_on_terminate);
    s.previous_filter = ::SetUnhandledExceptionFilter(stopped_on_crash);
    return {};
}

void running() noexcept { report(SERVICE_RUNNING); }


// The exit status as the SCM shows it: 0 is success; anything else is a
// service-specific code (WIN32_EXIT_CODE 1066, SERVICE_EXIT_CODE the status).
void stopped(int exit_status) noexcept {
    const auto code = static_cast<DWORD>(exit_status);
    report(SERVICE_STOPPED, code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR, code);
}

void fail(const Resolved& r, std::string_view line, int code) noexcept {
    remember_stderr(r);
    // Once stderr is the file (the command's last steps come after the
    // streams), whoever catches the failure prints the line there itself.
    tell_administrator(line, !stderr_is(r));
    report(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, code == 0 ? static_cast<DWORD>(exit_startup_failed) : static_cast<DWORD>(code));
}

void fail_before_startup(std::string_view line, int status,
                         const std::optional<std::filesystem::path>& stderr_file) noexcept {
    if (!started_by_scm() || connected()) return;
    if (connect()) return; // no SCM to tell: it times the start out itself
    {
        State& s = state();
        std::lock_guard lock(s.mutex);
        try {
            s.stderr_path = stderr_file;
        } catch (...) { // out of memory: the event log and the exit code remain
        }
    }
    tell_administrator(line);
    report(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR,
           status == 0 ? static_cast<DWORD>(exit_startup_failed) : static_cast<DWORD>(status));
}

namespace {

// The service's startup: connected to the SCM, `steps` run; a failure stops
// the service with its line and is rethrown, success reports RUNNING.
template <class Steps>
void start_service(const Resolved& r, Steps&& steps) {
    remember_stderr(r);
    if (const auto ec = connect())
        throw StartupError("cannot run as a service: StartServiceCtrlDispatcherW: " + describe(ec), Step::validate, {}, ec);
    try {
        steps();
    } catch (const Error& e) {
        fail(r, e.what(), e.code().value());
        throw;
    } catch (const std::exception& e) { // out of memory, most likely: still a failed start
        fail(r, e.what(), exit_startup_failed);
        throw;
    }
    running();
}

} // namespace

void run_startup(const Resolved& r) {
    start_service(r, [&] { run_foreground(r); });
}

void run_startup(const Resolved& r, Continuation& then, std::string_view payload) {
    start_service(r, [&] {
        run_foreground(r);
        const Failure failed = then.start(r, payload);
        if (failed.error != 0 || failed.detail != errc{}) {
            if (HeldPidFile* held = held_for_life()) held->release();
            then.throw_own_failure(failed, r);
            throw_failure(failed, r);
        }
    });
    then.serve();
    std::terminate(); // serve() never returns (GCC does not see [[noreturn]] through the virtual call)
}

} // namespace daemoniker::detail::service

namespace daemoniker {

void set_exit_status(int status) noexcept {
    detail::service::State& s = detail::service::state();
    std::lock_guard lock(s.mutex);
    s.exit_status = status;
}

} // namespace daemoniker
