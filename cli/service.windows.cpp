// daemoniker service install|uninstall|start|stop|status NAME: Windows
// services through the Service Control Manager. An installed service runs
// `daemoniker start --pid-file ... -- PROGRAM ARGS` from this executable;
// started by the SCM, start becomes the service itself and the program's
// supervisor (src/service.hpp, src/supervise.hpp), so signals reach the
// program as they do for `start`, and the job object ends it with the service.

#include "command_line.hpp"
#include "commands.hpp"

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <CLI/CLI.hpp>

#include <aclapi.h>
#include <sddl.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

namespace daemoniker::cli {
namespace {

namespace win = daemoniker::detail::win;
using namespace std::chrono_literals;

struct ServiceOptions {
    std::string name;
    std::string display_name;
    std::string description;
    std::string start = "demand";
    bool restart_on_failure = false;
    std::string chdir;
    std::string stdout_path;
    std::string stderr_path;
    std::vector<std::string> env;
    std::string pid_file;
    std::string timeout;
    std::vector<std::string> command;
};

// An owning SC_HANDLE.
struct ScHandle {
    SC_HANDLE h = nullptr;
    explicit ScHandle(SC_HANDLE handle = nullptr) noexcept : h(handle) {}
    ScHandle(ScHandle&& other) noexcept : h(std::exchange(other.h, nullptr)) {}
    ScHandle(const ScHandle&) = delete;
    ScHandle& operator=(const ScHandle&) = delete;
    ScHandle& operator=(ScHandle&&) = delete;
    ~ScHandle() {
        if (h != nullptr) ::CloseServiceHandle(h);
    }
};

// (win::message() names the code itself.)
std::string error_text(DWORD code) { return win::message(code); }

[[noreturn]] void fail(int status, const std::string& what) { throw Failure(status, what); }

std::wstring service_name(const ServiceOptions& o) {
    if (o.name.empty()) throw UsageError("the service name is empty");
    if (o.name.size() > 256) throw UsageError("the service name is longer than 256 characters");
    if (o.name.find_first_of("/\\") != std::string::npos)
        throw UsageError("service name '" + o.name + "': '/' and '\\' are not allowed");
    return win::widen(o.name);
}

ScHandle open_manager(DWORD access) {
    ScHandle scm(::OpenSCManagerW(nullptr, nullptr, access));
    if (scm.h == nullptr) fail(exit_status::failed, "cannot open the Service Control Manager: " + error_text(::GetLastError()));
    return scm;
}

// The service, or a Failure naming it (`missing` is the status when it is not installed).
ScHandle open_service(const ServiceOptions& o, DWORD access, int missing = exit_status::failed) {
    const std::wstring name = service_name(o);
    ScHandle scm = open_manager(SC_MANAGER_CONNECT);
    ScHandle svc(::OpenServiceW(scm.h, name.c_str(), access));
    if (svc.h == nullptr) {
        const DWORD e = ::GetLastError();
        if (e == ERROR_SERVICE_DOES_NOT_EXIST) fail(missing, "service '" + o.name + "' is not installed");
        fail(e == ERROR_ACCESS_DENIED ? exit_status::unknown : exit_status::failed,
             "cannot open service '" + o.name + "': " + error_text(e));
    }
    return svc;
}

SERVICE_STATUS_PROCESS query(const ServiceOptions& o, SC_HANDLE svc) {
    SERVICE_STATUS_PROCESS status{};
    DWORD needed = 0;
    if (!::QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&status), sizeof status, &needed))
        fail(exit_status::unknown, "cannot query service '" + o.name + "': " + error_text(::GetLastError()));
    return status;
}

std::string state_name(DWORD state) {
    switch (state) {
    case SERVICE_STOPPED: return "stopped";
    case SERVICE_START_PENDING: return "start pending";
    case SERVICE_STOP_PENDING: return "stop pending";
    case SERVICE_RUNNING: return "running";
    case SERVICE_CONTINUE_PENDING: return "continue pending";
    case SERVICE_PAUSE_PENDING: return "pause pending";
    case SERVICE_PAUSED: return "paused";
    }
    return "in state " + std::to_string(state);
}

// "exit code 0", or the Win32 code with the service-specific one.
std::string exit_codes(const SERVICE_STATUS_PROCESS& s) {
    if (s.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR)
        return "exit code " + std::to_string(s.dwServiceSpecificExitCode) + " (service-specific)";
    if (s.dwWin32ExitCode == NO_ERROR) return "exit code 0";
    return "exit code " + std::to_string(s.dwWin32ExitCode) + ": " + win::message(s.dwWin32ExitCode);
}

// True when the service's process is known to have ended.
bool process_ended(DWORD pid) {
    if (pid == 0) return false;
    win::Handle process(::OpenProcess(SYNCHRONIZE, FALSE, pid));
    if (!process.valid()) return ::GetLastError() == ERROR_INVALID_PARAMETER; // no such process
    return ::WaitForSingleObject(process.get(), 0) == WAIT_OBJECT_0;
}

std::chrono::milliseconds timeout_of(const ServiceOptions& o) {
    if (o.timeout.empty()) return 30s;
    const auto t = parse_seconds(o.timeout);
    if (!t) throw UsageError("--timeout: '" + o.timeout + "' is not a number of seconds");
    return *t;
}

// Polls until the state is neither `pending` nor `from` (0: none), the
// state the service may still show before it reports `pending`.
SERVICE_STATUS_PROCESS wait_while(const ServiceOptions& o, SC_HANDLE svc, DWORD pending, DWORD from,
                                  std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto s = query(o, svc);
        if (s.dwCurrentState != pending && s.dwCurrentState != from) return s;
        if (std::chrono::steady_clock::now() >= until) return s;
        std::this_thread::sleep_for(20ms);
    }
}

std::wstring absolute(const char* option, const std::string& text) {
    if (text.empty()) throw UsageError(std::string(option) + ": the path is empty");
    return std::filesystem::absolute(path_arg(text)).wstring();
}

// %ProgramData%\daemoniker, where services' PID files go by default. Users
// may create folders in %ProgramData%: one a user made first (or a junction
// there) would let that user hold a service's lock or choose where SYSTEM
// writes. So it is created private (SYSTEM and Administrators full control,
// Users read), and an existing one is used only if it is a plain directory
// owned by SYSTEM, Administrators or the installing administrator, that no
// other users may write (the PID files' own rule).
void private_state_directory(const std::filesystem::path& dir) {
    const std::string name = "'" + win::narrow(dir.wstring()) + "'";
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(
            L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)", SDDL_REVISION_1, &sd, nullptr))
        fail(exit_status::failed, "cannot make the access list of " + name + ": " + error_text(::GetLastError()));
    SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
    const bool made = ::CreateDirectoryW(dir.c_str(), &sa) != 0;
    const DWORD e = made ? 0 : ::GetLastError();
    ::LocalFree(sd);
    if (made) return;
    if (e != ERROR_ALREADY_EXISTS)
        fail(exit_status::failed, "cannot create " + name + " for the PID file: " + error_text(e));
    const DWORD attributes = ::GetFileAttributesW(dir.c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_DIRECTORY) == 0 ||
        (attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0)
        fail(exit_status::failed, name + " is not a plain directory (a file, a link or a junction): remove it, or "
                                         "give --pid-file");
    PSID owner = nullptr;
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR held = nullptr;
    const DWORD r = ::GetNamedSecurityInfoW(dir.c_str(), SE_FILE_OBJECT,
                                            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner, nullptr,
                                            &dacl, nullptr, &held);
    if (r != ERROR_SUCCESS) fail(exit_status::failed, "cannot read the access list of " + name + ": " + error_text(r));
    const std::wstring me = win::caller_sid();
    const bool trusted_owner =
        owner != nullptr && (::IsWellKnownSid(owner, WinLocalSystemSid) ||
                             ::IsWellKnownSid(owner, WinBuiltinAdministratorsSid) ||
                             (!me.empty() && win::sid_text(owner) == me));
    const bool others_write = win::lets_others_write(dacl);
    ::LocalFree(held);
    if (!trusted_owner)
        fail(exit_status::failed, name + " belongs to another user, who could hold or replace the PID file: remove "
                                         "it, or give --pid-file");
    if (others_write)
        fail(exit_status::failed, "other users may write to " + name + ", and so hold or replace the PID file: "
                                  "remove it, or give --pid-file");
}

// The command line the SCM runs: this executable's `start`.
std::wstring service_command_line(const ServiceOptions& o) {
    std::wstring exe(32768, L'\0');
    const DWORD n = ::GetModuleFileNameW(nullptr, exe.data(), static_cast<DWORD>(exe.size()));
    if (n == 0 || n >= exe.size()) fail(exit_status::failed, "GetModuleFileNameW: " + error_text(::GetLastError()));
    exe.resize(n);
    std::vector<std::wstring> argv{exe, L"start", L"--pid-file"};
    if (!o.pid_file.empty()) {
        argv.push_back(absolute("--pid-file", o.pid_file));
    } else {
        // Where services keep state: %ProgramData%\daemoniker\NAME.pid.
        wchar_t data[MAX_PATH];
        const DWORD m = ::GetEnvironmentVariableW(L"ProgramData", data, MAX_PATH);
        if (m == 0 || m >= MAX_PATH) throw UsageError("--pid-file: not given, and %ProgramData% is not set");
        const auto dir = std::filesystem::path(std::wstring(data, m)) / L"daemoniker";
        private_state_directory(dir);
        argv.push_back((dir / (service_name(o) + L".pid")).wstring());
    }
    if (!o.chdir.empty()) argv.insert(argv.end(), {L"--chdir", absolute("--chdir", o.chdir)});
    if (!o.stdout_path.empty()) argv.insert(argv.end(), {L"--stdout", absolute("--stdout", o.stdout_path)});
    if (!o.stderr_path.empty()) argv.insert(argv.end(), {L"--stderr", absolute("--stderr", o.stderr_path)});
    for (const auto& entry : o.env) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos || eq == 0) throw UsageError("--env: '" + entry + "' is not NAME=value");
        argv.insert(argv.end(), {L"--env", win::widen(entry)});
    }
    argv.push_back(L"--");
    // The program found now, the way `start` would find it here: the
    // service starts in the system directory with the system's PATH.
    if (o.command.empty() || o.command[0].empty()) throw UsageError("no program given (install NAME [options] -- program [args...])");
    const auto program = win::widen(o.command[0]);
    std::wstring found(32768, L'\0');
    const DWORD f = ::SearchPathW(nullptr, program.c_str(), L".exe", static_cast<DWORD>(found.size()), found.data(), nullptr);
    if (f == 0 || f >= found.size()) fail(exit_status::failed, "program '" + o.command[0] + "' was not found");
    found.resize(f);
    argv.push_back(found);
    for (std::size_t i = 1; i < o.command.size(); ++i) argv.push_back(win::widen(o.command[i]));
    return win::command_line(argv);
}

DWORD start_type(const ServiceOptions& o) {
    if (o.start == "auto" || o.start == "delayed") return SERVICE_AUTO_START;
    if (o.start == "demand") return SERVICE_DEMAND_START;
    throw UsageError("--start: '" + o.start + "' is not auto, delayed or demand");
}

void warn(const std::string& line) {
    std::fprintf(stderr, "daemoniker: service: warning: %s\n", line.c_str());
    std::fflush(stderr);
}

int run_install(const ServiceOptions& o) {
    const std::wstring name = service_name(o);
    const DWORD type = start_type(o);
    const std::wstring command = service_command_line(o);
    const std::wstring display = o.display_name.empty() ? name : win::widen(o.display_name);
    ScHandle scm = open_manager(SC_MANAGER_CREATE_SERVICE);
    ScHandle svc(::CreateServiceW(scm.h, name.c_str(), display.c_str(), SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                                  type, SERVICE_ERROR_NORMAL, command.c_str(), nullptr, nullptr, nullptr, nullptr,
                                  nullptr));
    if (svc.h == nullptr) {
        const DWORD e = ::GetLastError();
        if (e == ERROR_SERVICE_EXISTS) fail(exit_status::failed, "service '" + o.name + "' already exists");
        if (e == ERROR_DUPLICATE_SERVICE_NAME)
            fail(exit_status::failed, "service '" + o.name + "': the name or display name is another service's");
        fail(exit_status::failed, "cannot install service '" + o.name + "': " + error_text(e));
    }
    if (!o.description.empty()) {
        std::wstring text = win::widen(o.description);
        SERVICE_DESCRIPTIONW d{text.data()};
        if (!::ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_DESCRIPTION, &d))
            warn("the description was not set: " + error_text(::GetLastError()));
    }
    if (o.start == "delayed") {
        SERVICE_DELAYED_AUTO_START_INFO d{TRUE};
        if (!::ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &d))
            warn("delayed auto-start was refused, the service starts at boot: " + error_text(::GetLastError()));
    }
    if (o.restart_on_failure) {
        // Restart after 1 s, 5 s, then every 30 s; the count of failures
        // starts again after a day without one.
        SC_ACTION actions[3] = {{SC_ACTION_RESTART, 1000}, {SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 30000}};
        SERVICE_FAILURE_ACTIONSW f{};
        f.dwResetPeriod = 86400;
        f.cActions = 3;
        f.lpsaActions = actions;
        if (!::ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_FAILURE_ACTIONS, &f))
            warn("the recovery actions were not set: " + error_text(::GetLastError()));
        // A program that ends with a non-zero status (reported STOPPED with
        // it) counts as a failure too, not only a crash.
        SERVICE_FAILURE_ACTIONS_FLAG flag{TRUE};
        if (!::ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag))
            warn("recovery after a non-zero exit status was not set (only crashes restart): " +
                 error_text(::GetLastError()));
    }
    std::printf("%s: installed\n", o.name.c_str());
    return exit_status::ok;
}

int run_uninstall(const ServiceOptions& o) {
    const auto timeout = timeout_of(o);
    ScHandle svc = open_service(o, DELETE | SERVICE_STOP | SERVICE_QUERY_STATUS);
    auto s = query(o, svc.h);
    if (s.dwCurrentState != SERVICE_STOPPED) {
        SERVICE_STATUS ignored{};
        ::ControlService(svc.h, SERVICE_CONTROL_STOP, &ignored);
        s = wait_while(o, svc.h, SERVICE_STOP_PENDING, SERVICE_RUNNING, timeout);
        if (s.dwCurrentState != SERVICE_STOPPED)
            fail(exit_status::still_running, "service '" + o.name + "' is " + state_name(s.dwCurrentState) +
                                                 "; not uninstalled (stop it first)");
    }
    if (!::DeleteService(svc.h)) fail(exit_status::failed, "cannot uninstall service '" + o.name + "': " + error_text(::GetLastError()));
    std::printf("%s: uninstalled\n", o.name.c_str());
    return exit_status::ok;
}

int run_start(const ServiceOptions& o) {
    const auto timeout = timeout_of(o);
    ScHandle svc = open_service(o, SERVICE_START | SERVICE_QUERY_STATUS);
    if (!::StartServiceW(svc.h, 0, nullptr)) {
        const DWORD e = ::GetLastError();
        if (e == ERROR_SERVICE_ALREADY_RUNNING) fail(exit_status::still_running, "service '" + o.name + "' is already running");
        fail(exit_status::failed, "cannot start service '" + o.name + "': " + error_text(e));
    }
    // StartServiceW returns once the service is START_PENDING (the SCM sets
    // it): STOPPED from here on is the service's verdict.
    const auto s = wait_while(o, svc.h, SERVICE_START_PENDING, 0, timeout);
    if (s.dwCurrentState == SERVICE_RUNNING) {
        std::printf("%s: running (pid %lu)\n", o.name.c_str(), s.dwProcessId);
        return exit_status::ok;
    }
    if (s.dwCurrentState == SERVICE_STOPPED)
        fail(exit_status::failed, "service '" + o.name + "' stopped instead of running (" + exit_codes(s) +
                                      "; see its --stderr file and the event log)");
    fail(exit_status::failed, "service '" + o.name + "' is still " + state_name(s.dwCurrentState) + " after " +
                                  format_duration(static_cast<double>(timeout.count()) / 1000));
}

int run_stop(const ServiceOptions& o) {
    const auto timeout = timeout_of(o);
    ScHandle svc = open_service(o, SERVICE_STOP | SERVICE_QUERY_STATUS);
    SERVICE_STATUS ignored{};
    if (!::ControlService(svc.h, SERVICE_CONTROL_STOP, &ignored)) {
        const DWORD e = ::GetLastError();
        if (e == ERROR_SERVICE_NOT_ACTIVE) fail(exit_status::failed, "service '" + o.name + "' is not running");
        if (e != ERROR_SERVICE_CANNOT_ACCEPT_CTRL || query(o, svc.h).dwCurrentState != SERVICE_STOP_PENDING)
            fail(exit_status::failed, "cannot stop service '" + o.name + "': " + error_text(e));
        // Already stopping: wait with the others.
    }
    const auto s = wait_while(o, svc.h, SERVICE_STOP_PENDING, SERVICE_RUNNING, timeout);
    if (s.dwCurrentState == SERVICE_STOPPED) {
        std::printf("%s: stopped (%s)\n", o.name.c_str(), exit_codes(s).c_str());
        return exit_status::ok;
    }
    fail(exit_status::still_running, "service '" + o.name + "' is still " + state_name(s.dwCurrentState) + " after " +
                                         format_duration(static_cast<double>(timeout.count()) / 1000));
}

int run_status(const ServiceOptions& o) {
    ScHandle svc = open_service(o, SERVICE_QUERY_STATUS, exit_status::unknown);
    const auto s = query(o, svc.h);
    std::string line = o.name + ": " + state_name(s.dwCurrentState);
    int status = exit_status::unknown;
    if (s.dwCurrentState != SERVICE_STOPPED && process_ended(s.dwProcessId)) {
        // Real Windows reports such a service stopped (1067); Wine's SCM
        // keeps showing the state it last got.
        line += " according to the SCM, but its process " + std::to_string(s.dwProcessId) +
                " has ended without reporting it stopped";
        status = exit_status::failed; // LSB: dead
    } else if (s.dwCurrentState == SERVICE_RUNNING) {
        line += " (pid " + std::to_string(s.dwProcessId) + ")";
        status = exit_status::ok;
    } else if (s.dwCurrentState == SERVICE_STOPPED) {
        line += " (" + exit_codes(s) + ")";
        status = exit_status::not_running;
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
    return status;
}

CLI::App* add_name(CLI::App* verb, ServiceOptions& o) {
    verb->add_option("name", o.name, "the service's name (its key in the SCM)")->required();
    return verb;
}

} // namespace

Command add_service(CLI::App& app) {
    auto o = std::make_shared<ServiceOptions>();
    auto* sub = app.add_subcommand("service", "install, start, stop, query and uninstall a Windows service that runs "
                                              "a program under daemoniker's supervisor");
    sub->require_subcommand(1);
    sub->footer("Example: daemoniker service install app --start auto --stderr C:\\srv\\app.log -- C:\\srv\\app.exe --port 8080\n"
                "Exit status: 0 done (status: running); 1 failed, or not installed; 2 start: already running, stop: "
                "still stopping after --timeout; 3 status: stopped (1: dead); 4 status: not installed or unknown; 64 bad usage.\n"
                "Run 'daemoniker service <verb> --help' for a verb's options.");
    auto* install = add_name(sub->add_subcommand("install", "register a service that runs PROGRAM "
                                                            "(through 'daemoniker start')"),
                             *o);
    install->add_option("--display-name", o->display_name, "the name the Services console shows (default: NAME)");
    install->add_option("--description", o->description, "the service's description");
    install->add_option("--start", o->start, "auto (at boot), delayed (auto, after boot), demand (default)");
    install->add_flag("--restart-on-failure", o->restart_on_failure,
                      "let the SCM restart the service after a failure (1 s, 5 s, then every 30 s)");
    install->add_option("--chdir,-d", o->chdir, "working directory of the program (default: the system directory)");
    install->add_option("--stdout", o->stdout_path, "file for the program's standard output, appended to");
    install->add_option("--stderr", o->stderr_path, "file for the program's standard error and daemoniker's "
                                                    "messages, appended to");
    install->add_option("--env,-e", o->env, "set NAME=value in the program's environment (repeatable)");
    install->add_option("--pid-file,-p", o->pid_file, "PID file (default %ProgramData%\\daemoniker\\NAME.pid)");
    // After NAME come the options, then -- and the program: its own
    // options are never taken for ours.
    install->add_option("program", o->command, "after --: the program, then its arguments")->required();
    install->footer("The service runs 'daemoniker start' with these options; started by the SCM, that start is the "
                    "service and the program's supervisor.\n"
                    "Exit status: 0 installed; 1 failed (the name exists, the program was not found, no access); "
                    "64 bad usage. A recovery or delayed-start setting the SCM refuses is a warning.");
    auto* uninstall = add_name(sub->add_subcommand("uninstall", "stop the service if it runs, and delete it"), *o);
    uninstall->add_option("--timeout", o->timeout, "seconds to wait for a running service to stop (default 30)");
    auto* start = add_name(sub->add_subcommand("start", "start the service; exit 0 once it runs"), *o);
    start->add_option("--timeout", o->timeout, "seconds to wait for it to run (default 30)");
    auto* stop = add_name(sub->add_subcommand("stop", "stop the service; exit 0 once it stopped"), *o);
    stop->add_option("--timeout", o->timeout, "seconds to wait for it to stop (default 30)");
    auto* status = add_name(sub->add_subcommand("status", "print the service's state"), *o);
    status->footer("Exit status: 0 running; 1 dead (the SCM shows it running or pending, its process has ended); 3 stopped; 4 not installed, pending or unknown; 64 bad usage.");
    start->footer("Exit status: 0 running; 1 failed or stopped instead (the line gives its exit code); 2 already "
                  "running; 64 bad usage.");
    stop->footer("Exit status: 0 stopped; 1 not running or failed; 2 still stopping after --timeout; 64 bad usage.");
    uninstall->footer("Exit status: 0 uninstalled; 1 failed or not installed; 2 still stopping after --timeout; "
                      "64 bad usage.");
    return {sub, [o, install, uninstall, start, stop, status] {
                if (install->parsed()) return run_install(*o);
                if (uninstall->parsed()) return run_uninstall(*o);
                if (start->parsed()) return run_start(*o);
                if (stop->parsed()) return run_stop(*o);
                if (status->parsed()) return run_status(*o);
                throw UsageError("no verb given");
            }};
}

} // namespace daemoniker::cli
