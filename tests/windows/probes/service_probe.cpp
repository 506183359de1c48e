// A probe of the Service Control Manager under Wine (docs/how-it-works.md,
// "Windows services: what Wine showed"). Built by hand, not by CMake:
//   x86_64-w64-mingw32-g++-posix -std=c++20 -O1 -static -municode \
//       service_probe.cpp -o service_probe.exe -ladvapi32
// Modes:
//   service_probe nonscm               StartServiceCtrlDispatcherW in a process the SCM did
//                                      not start: from the main thread, then from another one
//   service_probe service LOG main|thread
//                                      run as a service (sc create ... binPath= "probe service LOG thread"):
//                                      logs the parent, its image, the session, then RUNNING; STOP ends it
#include <windows.h>
#include <tlhelp32.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace {

FILE* logf = nullptr;
SERVICE_STATUS_HANDLE status_handle = nullptr;
HANDLE stop_event = nullptr;
DWORD main_thread_id = 0;

void log(const char* fmt, auto... args) {
    std::fprintf(logf, fmt, args...);
    std::fputc('\n', logf);
    std::fflush(logf);
}

void report(DWORD state, DWORD exit_code = 0, DWORD hint = 0) {
    SERVICE_STATUS s{};
    s.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    s.dwCurrentState = state;
    s.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN : 0;
    s.dwWin32ExitCode = exit_code;
    s.dwWaitHint = hint;
    const BOOL ok = ::SetServiceStatus(status_handle, &s);
    log("SetServiceStatus(%lu) -> %d (%lu)", state, ok, ok ? 0ul : ::GetLastError());
}

DWORD WINAPI handler(DWORD control, DWORD, void*, void*) {
    log("control %lu on thread %lu (main %lu)", control, ::GetCurrentThreadId(), main_thread_id);
    if (control == SERVICE_CONTROL_STOP || control == SERVICE_CONTROL_SHUTDOWN || control == SERVICE_CONTROL_PRESHUTDOWN) {
        report(SERVICE_STOP_PENDING, 0, 3000);
        ::SetEvent(stop_event);
    }
    return NO_ERROR;
}

void WINAPI service_main(DWORD argc, wchar_t** argv) {
    log("ServiceMain on thread %lu (main %lu), argc %lu, name %ls", ::GetCurrentThreadId(), main_thread_id, argc,
        argc > 0 ? argv[0] : L"?");
    status_handle = ::RegisterServiceCtrlHandlerExW(argc > 0 ? argv[0] : L"", handler, nullptr);
    log("RegisterServiceCtrlHandlerExW -> %p (%lu)", static_cast<void*>(status_handle), ::GetLastError());
    report(SERVICE_START_PENDING, 0, 5000);
    ::Sleep(1500); // a slow startup: sc query should show START_PENDING meanwhile
    report(SERVICE_RUNNING);
}

void who_started_me() {
    const DWORD self = ::GetCurrentProcessId();
    DWORD parent = 0;
    HANDLE snap = ::CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    PROCESSENTRY32W e{sizeof e};
    for (BOOL ok = ::Process32FirstW(snap, &e); ok; ok = ::Process32NextW(snap, &e))
        if (e.th32ProcessID == self) parent = e.th32ParentProcessID;
    std::wstring parent_image = L"?";
    e = {sizeof e};
    for (BOOL ok = ::Process32FirstW(snap, &e); ok; ok = ::Process32NextW(snap, &e))
        if (e.th32ProcessID == parent) parent_image = e.szExeFile;
    ::CloseHandle(snap);
    DWORD session = 0;
    ::ProcessIdToSessionId(self, &session);
    wchar_t cwd[MAX_PATH];
    ::GetCurrentDirectoryW(MAX_PATH, cwd);
    log("pid %lu parent %lu (%ls) session %lu cwd %ls stdin %p stdout %p stderr %p", self, parent, parent_image.c_str(),
        session, cwd, ::GetStdHandle(STD_INPUT_HANDLE), ::GetStdHandle(STD_OUTPUT_HANDLE),
        ::GetStdHandle(STD_ERROR_HANDLE));
}

BOOL dispatch(const char* where) {
    static wchar_t name[] = L"";
    SERVICE_TABLE_ENTRYW table[] = {{name, service_main}, {nullptr, nullptr}};
    const auto t0 = std::chrono::steady_clock::now();
    const BOOL ok = ::StartServiceCtrlDispatcherW(table);
    const DWORD e = ok ? 0 : ::GetLastError();
    const auto ms = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    log("StartServiceCtrlDispatcherW (%s, thread %lu) -> %d error %lu after %lld us", where, ::GetCurrentThreadId(), ok,
        e, static_cast<long long>(ms));
    return ok;
}

} // namespace

int wmain(int argc, wchar_t** argv) {
    main_thread_id = ::GetCurrentThreadId();
    const std::wstring mode = argc > 1 ? argv[1] : L"";
    if (mode == L"nonscm") {
        logf = stdout;
        who_started_me();
        dispatch("main thread");
        std::thread([] { dispatch("other thread"); }).join();
        return 0;
    }
    if (mode == L"service" && argc > 3) {
        logf = _wfopen(argv[2], L"a");
        if (logf == nullptr) return 2;
        who_started_me();
        stop_event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
        if (std::wstring(argv[3]) == L"thread") {
            // The dispatcher on its own thread; the main thread goes on with the program.
            std::thread d([] { dispatch("other thread"); });
            ::WaitForSingleObject(stop_event, INFINITE);
            log("main thread: stop seen, cleaning up");
            ::Sleep(500);
            report(SERVICE_STOPPED, 0);
            d.join();
            log("dispatcher thread joined; exiting 7");
            return 7;
        }
        std::thread w([] {
            ::WaitForSingleObject(stop_event, INFINITE);
            report(SERVICE_STOPPED, 0);
        });
        dispatch("main thread");
        w.join();
        return 0;
    }
    return 64;
}
