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
#include <string>

namespace daemoniker::detail::service {

namespace {

// The wait hints: how long the SCM (and `sc`, and our command) should allow
// before it considers a pending start or stop hung. Generous: the startup
// steps are quick, a program's cleanup may not be.
constexpr DWORD start_hint_ms = 30000;
constexpr DWORD stop_hint_ms = 30000;

struct State {
    std::mutex mutex; // guards status and the reports
    SERVICE_STATUS_HANDLE handle = nullptr;
    SERVICE_STATUS status{};
    std::wstring name;
    HANDLE registered = nullptr; // set by service_main() once the handler is registered
    DWORD error = 0;             // service_main()'s or the dispatcher's failure
    bool connected = false;
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
// or calls exit() after a stop ends the service. (Its exit status is not
// known here; 0 is reported.)
void stopped_at_exit() noexcept { stopped(0); }

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
    if (r.stream_given[2]) append_line(r.stderr_path, line);
    std::wstring name;
    {
        State& s = state();
        std::lock_guard lock(s.mutex);
        name = s.name;
    }
    log_event(name.empty() ? L"daemoniker" : name, line);
    report(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, code == 0 ? static_cast<DWORD>(exit_startup_failed) : static_cast<DWORD>(code));
}

void run_startup(const Resolved& r) {
    if (const auto ec = connect())
        throw StartupError("cannot run as a service: StartServiceCtrlDispatcherW: " + describe(ec), Step::validate, {}, ec);
    try {
        run_foreground(r);
    } catch (const Error& e) {
        fail(r, e.what(), e.code().value());
        throw;
    } catch (const std::exception& e) { // out of memory, most likely: still a failed start
        fail(r, e.what(), exit_startup_failed);
        throw;
    }
    running();
}

void run_startup(const Resolved& r, Continuation& then, std::string_view payload) {
    if (const auto ec = connect())
        throw StartupError("cannot run as a service: StartServiceCtrlDispatcherW: " + describe(ec), Step::validate, {}, ec);
    try {
        run_foreground(r);
        const Failure failed = then.start(r, payload);
        if (failed.error != 0 || failed.detail != errc{}) {
            if (HeldPidFile* held = held_for_life()) held->release();
            then.throw_own_failure(failed);
            throw_failure(failed, r);
        }
    } catch (const Error& e) {
        fail(r, e.what(), e.code().value());
        throw;
    } catch (const std::exception& e) { // out of memory, most likely: still a failed start
        fail(r, e.what(), exit_startup_failed);
        throw;
    }
    running();
    then.serve();
    std::terminate(); // serve() never returns (GCC does not see [[noreturn]] through the virtual call)
}

} // namespace daemoniker::detail::service
