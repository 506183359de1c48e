// A library program run as a Windows service by the real Service Control
// Manager (Wine's services.exe), driven with Wine's own sc.exe. The fixture
// stops and deletes its service whatever happens, through the SCM API.

#include "win_support.hpp"

#include "../shared/support.hpp"

#include <daemoniker/daemoniker.hpp>

#include <gtest/gtest.h>

#include <windows.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <thread>

namespace {

using namespace wintest;
using namespace std::chrono_literals;

std::filesystem::path sc_path() {
    wchar_t system[MAX_PATH];
    const UINT n = ::GetSystemDirectoryW(system, MAX_PATH);
    return std::filesystem::path(std::wstring(system, n)) / L"sc.exe";
}

struct Query {
    int state = 0; // SERVICE_STOPPED 1 ... SERVICE_RUNNING 4; 0 when sc failed
    unsigned long win32_exit = 0;
    unsigned long service_exit = 0;
    std::string text;
};

// What `sc query NAME` prints, parsed.
Query sc_query(const std::string& name) {
    const Result r = run_program(sc_path(), {"query", name});
    Query q;
    q.text = r.out;
    std::smatch m;
    if (r.exit_code != 0) return q;
    if (std::regex_search(r.out, m, std::regex(R"(STATE\s*:\s*(\d+))"))) q.state = std::stoi(m[1]);
    if (std::regex_search(r.out, m, std::regex(R"(WIN32_EXIT_CODE\s*:\s*(\d+))"))) q.win32_exit = std::stoul(m[1]);
    if (std::regex_search(r.out, m, std::regex(R"(SERVICE_EXIT_CODE\s*:\s*(\d+))"))) q.service_exit = std::stoul(m[1]);
    return q;
}

class WinServiceTest : public WinProcessTest {
protected:
    void SetUp() override {
        WinProcessTest::SetUp();
        static int counter = 0;
        name_ = "daemoniker-test-" + std::to_string(::GetCurrentProcessId()) + "-" + std::to_string(++counter);
    }

    void TearDown() override {
        remove_service();
        WinProcessTest::TearDown();
    }

    Result sc(const std::vector<std::string>& args) {
        std::vector<std::string> all{args.front(), name_};
        all.insert(all.end(), args.begin() + 1, args.end());
        return run_program(sc_path(), all);
    }

    // The helper as the service's program: binPath= is one command line.
    std::string bin_path(const std::string& mode, const std::vector<std::string>& kv) {
        std::string line = "\"" + utf8(helper_path()) + "\" " + mode + " " + p("d.pid") + " " + p("report");
        for (const auto& arg : kv) line += " " + arg;
        return line;
    }

    // Polls `sc query` until the state is `want` (or `deadline`); every
    // state seen goes into `seen`.
    Query wait_state(int want, std::vector<int>& seen, std::chrono::milliseconds deadline = 20s) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        Query q;
        do {
            q = sc_query(name_);
            if (seen.empty() || seen.back() != q.state) seen.push_back(q.state);
            if (q.state == want) return q;
            std::this_thread::sleep_for(20ms);
        } while (std::chrono::steady_clock::now() < until);
        return q;
    }

    // The helper's signals mode with `keys` (a log first) as a service,
    // created and started with sc: its PID once RUNNING and reported, else 0.
    DWORD run_signals_service(std::vector<std::string> keys) {
        keys.insert(keys.begin(), "log=" + p("log"));
        EXPECT_EQ(sc({"create", "binPath=", bin_path("signals", keys)}).exit_code, 0u);
        EXPECT_EQ(sc({"start"}).exit_code, 0u);
        std::vector<int> seen;
        EXPECT_EQ(wait_state(SERVICE_RUNNING, seen).state, SERVICE_RUNNING);
        if (!wait_for_file(path("report"))) {
            ADD_FAILURE() << "no report";
            return 0;
        }
        const auto pid = static_cast<DWORD>(std::stoul(read_report(path("report")).at("pid")));
        record(pid);
        return pid;
    }

    // Stops (bounded) and deletes the service through the SCM API.
    void remove_service() {
        SC_HANDLE scm = ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
        if (scm == nullptr) return;
        const std::wstring wide = from_utf8(name_).wstring();
        if (SC_HANDLE svc = ::OpenServiceW(scm, wide.c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE)) {
            SERVICE_STATUS status{};
            if (::QueryServiceStatus(svc, &status) && status.dwCurrentState != SERVICE_STOPPED) {
                // (A service whose process is gone cannot take the control.)
                const bool sent = ::ControlService(svc, SERVICE_CONTROL_STOP, &status) != 0;
                const auto until = std::chrono::steady_clock::now() + 10s;
                while (sent && ::QueryServiceStatus(svc, &status) && status.dwCurrentState != SERVICE_STOPPED &&
                       std::chrono::steady_clock::now() < until)
                    std::this_thread::sleep_for(20ms);
            }
            EXPECT_TRUE(::DeleteService(svc)) << "DeleteService: " << ::GetLastError();
            ::CloseServiceHandle(svc);
        }
        ::CloseServiceHandle(scm);
    }

    std::string name_;
};

TEST_F(WinServiceTest, RunsAsTheServiceRunningOnlyAfterItsStartupStepsAndStopsThroughSigTerm) {
    const auto pid_file = path("d.pid");
    ASSERT_EQ(sc({"create", "binPath=", bin_path("signals", {"log=" + p("log"), "hup=record"})}).exit_code, 0u);
    std::vector<int> seen;
    EXPECT_EQ(sc_query(name_).state, SERVICE_STOPPED);
    const Result started = sc({"start"});
    ASSERT_EQ(started.exit_code, 0u) << started.out << started.err;

    // The PID file is locked and written before RUNNING is reported.
    const Query running = wait_state(SERVICE_RUNNING, seen);
    ASSERT_EQ(running.state, SERVICE_RUNNING) << running.text;
    EXPECT_TRUE(std::filesystem::exists(pid_file));
    EXPECT_TRUE(lock_held(pid_file));
    ASSERT_TRUE(wait_for_file(path("report")));
    const auto report = read_report(path("report"));
    const DWORD pid = static_cast<DWORD>(std::stoul(report.at("pid")));
    record(pid);
    EXPECT_EQ(shared::pid_in(pid_file), static_cast<shared::Pid>(pid));
    // send()/is_running() work for a service as for any daemon.
    EXPECT_TRUE(daemoniker::is_running(pid_file));
    std::error_code ec;
    daemoniker::send(pid_file, 1, ec); // SIGHUP
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(wait_for_file(path("log"), "handled hup 1")) << slurp(path("log"));
    // SERVICE_START_PENDING was seen, or RUNNING came first: never another state.
    for (int state : seen) EXPECT_TRUE(state == SERVICE_START_PENDING || state == SERVICE_RUNNING) << state;

    const Result stop = sc({"stop"});
    EXPECT_EQ(stop.exit_code, 0u) << stop.out << stop.err;
    seen.clear();
    const Query stopped = wait_state(SERVICE_STOPPED, seen);
    EXPECT_EQ(stopped.state, SERVICE_STOPPED) << stopped.text;
    EXPECT_EQ(stopped.win32_exit, 0u) << stopped.text;
    EXPECT_TRUE(wait_for_file(path("log"), " 15 via wait")) << slurp(path("log")); // the SigTerm cleanup ran
    EXPECT_TRUE(wait_exit(pid));
    EXPECT_FALSE(std::filesystem::exists(pid_file));
}

TEST_F(WinServiceTest, AFailedStartupStepStopsTheServiceWithAServiceSpecificCodeAndSaysWhyInTheStderrFile) {
    const auto missing = path("missing");
    ASSERT_EQ(sc({"create", "binPath=",
                  bin_path("signals", {"log=" + p("log"), "chdir=" + utf8(missing), "stderr=" + p("err.txt")})})
                  .exit_code,
              0u);
    sc({"start"}); // returns at the first report: 0 at START_PENDING, 1 if STOPPED came first
    std::vector<int> seen;
    const Query q = wait_state(SERVICE_STOPPED, seen);
    // The first query may still see the STOPPED of before the start.
    ASSERT_EQ(q.state, SERVICE_STOPPED) << q.text;
    const auto until = std::chrono::steady_clock::now() + 10s;
    Query last = q;
    while (last.win32_exit != ERROR_SERVICE_SPECIFIC_ERROR && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(20ms);
        last = sc_query(name_);
    }
    EXPECT_EQ(last.win32_exit, static_cast<unsigned long>(ERROR_SERVICE_SPECIFIC_ERROR)) << last.text;
    EXPECT_NE(last.service_exit, 0u) << last.text;
    for (int state : seen) EXPECT_NE(state, SERVICE_RUNNING);
    ASSERT_TRUE(wait_for_file(path("err.txt"), "daemoniker: ")) << slurp(path("err.txt"));
    EXPECT_NE(slurp(path("err.txt")).find("missing"), std::string::npos) << slurp(path("err.txt"));
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
    EXPECT_FALSE(std::filesystem::exists(path("report")));
}

// The helper's signals mode with `keys` as a service, stopped with sc once
// it reported: how it ended.
struct Ended {
    Query stopped;
    DWORD pid = 0;
};

class WinServiceEndTest : public WinServiceTest {
protected:
    Ended run_and_stop(std::vector<std::string> keys) {
        Ended end;
        end.pid = run_signals_service(std::move(keys));
        if (end.pid == 0) return end;
        EXPECT_EQ(sc({"stop"}).exit_code, 0u);
        std::vector<int> seen;
        end.stopped = wait_state(SERVICE_STOPPED, seen);
        EXPECT_EQ(end.stopped.state, SERVICE_STOPPED) << end.stopped.text;
        EXPECT_EQ(end.stopped.win32_exit, static_cast<unsigned long>(ERROR_SERVICE_SPECIFIC_ERROR)) << end.stopped.text;
        EXPECT_TRUE(wait_exit(end.pid));
        return end;
    }
};

TEST_F(WinServiceEndTest, TheStatusTheProgramDeclaresIsTheServiceExitCode) {
    const Ended end = run_and_stop({"exit=5"});
    EXPECT_EQ(end.stopped.service_exit, 5u) << end.stopped.text;
    EXPECT_TRUE(wait_for_file(path("log"), " 15 via wait")) << slurp(path("log"));
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

TEST_F(WinServiceEndTest, AnExceptionEscapingMainStopsTheServiceWithAbortsStatusAndItsText) {
    const Ended end = run_and_stop({"escape=1", "stderr=" + p("err.txt")});
    EXPECT_EQ(end.stopped.service_exit, 3u) << end.stopped.text; // abort()'s status
    const std::string err = slurp(path("err.txt"));
    EXPECT_NE(err.find("daemoniker: terminate called after an uncaught exception: "), std::string::npos) << err;
    EXPECT_FALSE(std::filesystem::exists(path("d.pid"))); // the PID file's own terminate handler ran too
}

TEST_F(WinServiceEndTest, ACrashStopsTheServiceWithTheExceptionCode) {
    const Ended end = run_and_stop({"crash=1", "stderr=" + p("err.txt")});
    EXPECT_EQ(end.stopped.service_exit, static_cast<unsigned long>(EXCEPTION_ACCESS_VIOLATION)) << end.stopped.text;
    EXPECT_TRUE(wait_for_file(path("log"), "crashing")) << slurp(path("log"));
    const std::string err = slurp(path("err.txt"));
    EXPECT_NE(err.find("daemoniker: the process crashed: exception 0xC0000005"), std::string::npos) << err;
}

TEST_F(WinServiceTest, StatusSaysDeadWhenTheProcessEndedWithoutReportingStopped) {
    const DWORD pid = run_signals_service({});
    ASSERT_NE(pid, 0u);
    const Result alive = run_program(cli_path(), {"service", "status", name_});
    EXPECT_EQ(alive.exit_code, 0u) << alive.out << alive.err;
    HANDLE process = ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, pid);
    ASSERT_NE(process, nullptr) << ::GetLastError();
    terminate(process); // no exit handler runs: nothing reports STOPPED
    ::CloseHandle(process);
    const Result dead = run_program(cli_path(), {"service", "status", name_});
    if (sc_query(name_).state == SERVICE_STOPPED) { // an SCM that notices (real Windows: 1067)
        EXPECT_EQ(dead.exit_code, 3u) << dead.out << dead.err;
    } else { // Wine's keeps RUNNING
        EXPECT_EQ(dead.exit_code, 1u) << dead.out << dead.err;
        EXPECT_NE(dead.out.find("its process " + std::to_string(pid) + " has ended"), std::string::npos) << dead.out;
    }
}

// The service process is the daemon whatever Options::detach says (no
// re-launch), and the command's status and stop work on its PID file: stop
// is a SIGTERM like the SCM's STOP, and the service reports STOPPED.
TEST_F(WinServiceTest, UnlessSupervisedStaysTheServiceAndTheCommandStopsItThroughItsPidFile) {
    const DWORD pid = run_signals_service({"detach=auto"});
    ASSERT_NE(pid, 0u);
    const Result status = run_program(cli_path(), {"service", "status", name_});
    EXPECT_NE(status.out.find("(pid " + std::to_string(pid) + ")"), std::string::npos) << status.out;
    const Result st = run_program(cli_path(), {"status", p("d.pid")});
    EXPECT_EQ(st.exit_code, 0u) << st.out << st.err;
    const Result stop = run_program(cli_path(), {"stop", p("d.pid")});
    EXPECT_EQ(stop.exit_code, 0u) << stop.out << stop.err;
    std::vector<int> seen;
    const Query q = wait_state(SERVICE_STOPPED, seen);
    EXPECT_EQ(q.state, SERVICE_STOPPED) << q.text;
    EXPECT_EQ(q.win32_exit, 0u) << q.text;
    EXPECT_TRUE(wait_for_file(path("log"), " 15 via wait")) << slurp(path("log"));
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

// ---- the command ---------------------------------------------------------------

class WinServiceCommandTest : public WinServiceTest {
protected:
    Result cmd(const std::string& verb, std::vector<std::string> args = {}) {
        args.insert(args.begin(), {"service", verb, name_});
        return run_program(cli_path(), args);
    }
    // Installs the helper's serve mode (a SignalHandler; logs its arguments,
    // its environment and the SIGTERM it catches).
    Result install(std::vector<std::string> options = {}) {
        options.insert(options.end(), {"--pid-file", p("svc.pid"), "--stdout", p("out.txt"), "--stderr", p("err.txt"),
                                       "--env", "GREETING=h\u00e9llo \"w\u00f6rld\"", "--", utf8(helper_path()), "serve",
                                       "-", p("log"), "two words", "back\\slash\\", "env=GREETING"});
        return cmd("install", options);
    }
};

TEST_F(WinServiceCommandTest, InstallStartStopUninstallWithTheStatusOfEachState) {
    const Result installed = install({"--display-name", "D\u00e6monik\u00e9r test", "--description", "a test service"});
    ASSERT_EQ(installed.exit_code, 0u) << installed.err;
    Result r = cmd("status");
    EXPECT_EQ(r.exit_code, 3u) << r.out << r.err;
    EXPECT_NE(r.out.find(name_ + ": stopped"), std::string::npos) << r.out;

    r = cmd("start");
    ASSERT_EQ(r.exit_code, 0u) << r.out << r.err;
    r = cmd("status");
    EXPECT_EQ(r.exit_code, 0u) << r.out << r.err;
    EXPECT_NE(r.out.find(name_ + ": running (pid "), std::string::npos) << r.out;
    EXPECT_EQ(sc_query(name_).state, SERVICE_RUNNING);
    // The PID file names the supervisor, which serves the signal channel.
    EXPECT_TRUE(daemoniker::is_running(path("svc.pid")));
    record(static_cast<DWORD>(shared::pid_in(path("svc.pid"))));

    ASSERT_TRUE(wait_for_file(path("log"), "serving")) << slurp(path("log"));
    const std::string log = slurp(path("log"));
    EXPECT_NE(log.find("args=two words|back\\slash\\|env=GREETING"), std::string::npos) << log;
    EXPECT_NE(log.find("env GREETING=h\u00e9llo \"w\u00f6rld\""), std::string::npos) << log;

    r = cmd("start");
    EXPECT_EQ(r.exit_code, 2u) << r.err;
    EXPECT_NE(r.err.find("'" + name_ + "' is already running"), std::string::npos) << r.err;

    r = cmd("stop");
    EXPECT_EQ(r.exit_code, 0u) << r.out << r.err;
    EXPECT_NE(slurp(path("log")).find("caught received SIGTERM 15"), std::string::npos) << slurp(path("log"));
    EXPECT_NE(slurp(path("out.txt")).find("program stdout line"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(path("svc.pid")));
    r = cmd("status");
    EXPECT_EQ(r.exit_code, 3u) << r.out << r.err;
    EXPECT_NE(r.out.find("stopped (exit code 0)"), std::string::npos) << r.out;
    r = cmd("stop");
    EXPECT_EQ(r.exit_code, 1u) << r.err;
    EXPECT_NE(r.err.find("'" + name_ + "' is not running"), std::string::npos) << r.err;

    r = cmd("uninstall");
    EXPECT_EQ(r.exit_code, 0u) << r.out << r.err;
    r = cmd("status");
    EXPECT_EQ(r.exit_code, 4u) << r.out << r.err;
    EXPECT_NE(r.err.find("service '" + name_ + "' is not installed"), std::string::npos) << r.err;
}

TEST_F(WinServiceCommandTest, TheInstalledServiceStartsAndStopsWithScToo) {
    ASSERT_EQ(install().exit_code, 0u);
    ASSERT_EQ(sc({"start"}).exit_code, 0u);
    std::vector<int> seen;
    ASSERT_EQ(wait_state(SERVICE_RUNNING, seen).state, SERVICE_RUNNING);
    record(static_cast<DWORD>(shared::pid_in(path("svc.pid"))));
    ASSERT_TRUE(wait_for_file(path("log"), "serving"));
    EXPECT_EQ(cmd("status").exit_code, 0u);
    EXPECT_EQ(sc({"stop"}).exit_code, 0u);
    const Query q = wait_state(SERVICE_STOPPED, seen);
    EXPECT_EQ(q.state, SERVICE_STOPPED) << q.text;
    EXPECT_EQ(q.win32_exit, 0u) << q.text;
    EXPECT_TRUE(wait_for_file(path("log"), "caught received SIGTERM 15"));
    EXPECT_EQ(cmd("status").exit_code, 3u);
}

TEST_F(WinServiceCommandTest, AFailedStartupMakesStartFailWithTheServiceExitCodeAndTheReasonInTheStderrFile) {
    ASSERT_EQ(cmd("install", {"--chdir", p("missing"), "--stderr", p("err.txt"), "--", utf8(helper_path()), "serve", "-",
                              p("log")})
                  .exit_code,
              0u);
    const Result r = cmd("start");
    EXPECT_EQ(r.exit_code, 1u) << r.out << r.err;
    EXPECT_NE(r.err.find("'" + name_ + "' stopped instead of running (exit code "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(service-specific)"), std::string::npos) << r.err;
    EXPECT_TRUE(wait_for_file(path("err.txt"), "missing")) << slurp(path("err.txt"));
    EXPECT_FALSE(std::filesystem::exists(path("log")));
    EXPECT_EQ(cmd("status").exit_code, 3u);
}

TEST_F(WinServiceCommandTest, AProgramThatCannotStartIsSaidOnceInTheStderrFile) {
    // Installed while it exists, gone by the start: the supervisor's
    // CreateProcessW fails after the streams were redirected.
    const auto copy = path("gone.exe");
    std::filesystem::copy_file(helper_path(), copy);
    ASSERT_EQ(cmd("install", {"--pid-file", p("svc.pid"), "--stderr", p("err.txt"), "--", utf8(copy), "serve", "-",
                              p("log")})
                  .exit_code,
              0u);
    std::filesystem::remove(copy);
    const Result r = cmd("start");
    EXPECT_EQ(r.exit_code, 1u) << r.out << r.err;
    EXPECT_NE(r.err.find("stopped instead of running"), std::string::npos) << r.err;
    ASSERT_TRUE(wait_for_file(path("err.txt"), "gone.exe")) << slurp(path("err.txt"));
    const std::string err = slurp(path("err.txt"));
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_FALSE(std::filesystem::exists(path("svc.pid")));
    EXPECT_FALSE(std::filesystem::exists(path("log")));
}

TEST_F(WinServiceCommandTest, AProgramCreateProcessRefusesIsSaidOnceInTheStderrFile) {
    // Found, but no executable: the supervisor's CreateProcessW fails after
    // the streams were redirected, where the command prints its own line.
    const auto bad = path("bad.exe");
    {
        std::ofstream(bad) << "not a program\n";
    }
    ASSERT_EQ(cmd("install", {"--pid-file", p("svc.pid"), "--stderr", p("err.txt"), "--", utf8(bad)}).exit_code, 0u);
    const Result r = cmd("start");
    EXPECT_EQ(r.exit_code, 1u) << r.out << r.err;
    EXPECT_NE(r.err.find("stopped instead of running"), std::string::npos) << r.err;
    ASSERT_TRUE(wait_for_file(path("err.txt"), "bad.exe")) << slurp(path("err.txt"));
    std::this_thread::sleep_for(200ms); // a second line would follow the first at once
    const std::string err = slurp(path("err.txt"));
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_FALSE(std::filesystem::exists(path("svc.pid")));
}

// Without --pid-file: %ProgramData%\daemoniker\NAME.pid, the directory made
// private; one that is not a plain directory is refused. (%ProgramData% is
// the test's own here, so nothing is left in the prefix's.)
TEST_F(WinServiceCommandTest, TheDefaultPidFileGoesInAPrivateProgramDataDirectory) {
    // Set in this process, which the command inherits (an extra entry would
    // come after the variable the environment has already).
    struct ProgramData {
        std::wstring saved = std::wstring(32768, L'\0');
        DWORD n = 0;
        explicit ProgramData(const std::filesystem::path& dir) {
            n = ::GetEnvironmentVariableW(L"ProgramData", saved.data(), static_cast<DWORD>(saved.size()));
            saved.resize(n);
            ::SetEnvironmentVariableW(L"ProgramData", dir.c_str());
        }
        ~ProgramData() { ::SetEnvironmentVariableW(L"ProgramData", n == 0 ? nullptr : saved.c_str()); }
    } program_data(path("pd"));
    const std::vector<std::string> env;
    std::filesystem::create_directories(path("pd"));
    Result r = run_program(cli_path(), {"service", "install", name_, "--", utf8(helper_path()), "serve", "-", p("log")},
                           env);
    ASSERT_EQ(r.exit_code, 0u) << r.err;
    const auto pid_file = path("pd") / "daemoniker" / from_utf8(name_ + ".pid");
    ASSERT_EQ(cmd("start").exit_code, 0u);
    EXPECT_TRUE(daemoniker::is_running(pid_file));
    record(static_cast<DWORD>(shared::pid_in(pid_file)));
    EXPECT_EQ(cmd("stop").exit_code, 0u);
    EXPECT_FALSE(std::filesystem::exists(pid_file));
    ASSERT_EQ(cmd("uninstall").exit_code, 0u);

    // A file (or a link, a junction) in the directory's place.
    std::filesystem::remove_all(path("pd") / "daemoniker");
    {
        std::ofstream(path("pd") / "daemoniker") << "planted\n";
    }
    r = run_program(cli_path(), {"service", "install", name_, "--", utf8(helper_path()), "serve", "-", p("log")}, env);
    EXPECT_EQ(r.exit_code, 1u) << r.err;
    EXPECT_NE(r.err.find("is not a plain directory (a file, a link or a junction): remove it, or give --pid-file"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(cmd("status").exit_code, 4u); // not installed
}

TEST_F(WinServiceCommandTest, AUnicodeNameWithRecoveryAndDelayedStartInstallsStartsAndStops) {
    name_ += "-d\u00e6m\u00f6n-\u65e5\u672c";
    const Result installed = install({"--restart-on-failure", "--start", "delayed"});
    ASSERT_EQ(installed.exit_code, 0u) << installed.err;
    // Wine refuses delayed auto-start and the failure-actions flag (error
    // 124): a warning each, and the service is installed all the same.
    EXPECT_NE(installed.out.find(name_ + ": installed"), std::string::npos) << installed.out;
    Result r = cmd("start");
    ASSERT_EQ(r.exit_code, 0u) << r.err;
    record(static_cast<DWORD>(shared::pid_in(path("svc.pid"))));
    r = cmd("status");
    EXPECT_EQ(r.exit_code, 0u) << r.err;
    EXPECT_NE(r.out.find(name_ + ": running"), std::string::npos) << r.out;
    EXPECT_EQ(cmd("stop").exit_code, 0u);
    EXPECT_TRUE(wait_for_file(path("log"), "caught received SIGTERM 15"));
    EXPECT_EQ(cmd("uninstall").exit_code, 0u);
    EXPECT_EQ(cmd("status").exit_code, 4u);
}

TEST_F(WinServiceCommandTest, UninstallStopsARunningServiceFirst) {
    ASSERT_EQ(install().exit_code, 0u);
    ASSERT_EQ(cmd("start").exit_code, 0u);
    record(static_cast<DWORD>(shared::pid_in(path("svc.pid"))));
    const Result r = cmd("uninstall");
    EXPECT_EQ(r.exit_code, 0u) << r.err;
    EXPECT_TRUE(wait_for_file(path("log"), "caught received SIGTERM 15"));
    EXPECT_EQ(cmd("status").exit_code, 4u);
}

TEST_F(WinServiceCommandTest, EveryVerbHasHelpWithItsExitStatuses) {
    for (const char* verb : {"install", "uninstall", "start", "stop", "status"}) {
        const Result r = run_program(cli_path(), {"service", verb, "--help"});
        EXPECT_EQ(r.exit_code, 0u) << verb;
        EXPECT_NE(r.out.find("Exit status"), std::string::npos) << verb << "\n" << r.out;
    }
}

TEST_F(WinServiceCommandTest, BadInputFailsWithOneLineNamingIt) {
    // Every verb on a name that is not installed.
    for (const char* verb : {"start", "stop", "uninstall"}) {
        const Result r = cmd(verb);
        EXPECT_EQ(r.exit_code, 1u) << verb << r.err;
        EXPECT_EQ(r.err, "daemoniker: service: service '" + name_ + "' is not installed\n") << verb;
    }
    EXPECT_EQ(cmd("status").exit_code, 4u);
    // Installing twice.
    ASSERT_EQ(install().exit_code, 0u);
    Result r = install();
    EXPECT_EQ(r.exit_code, 1u);
    EXPECT_EQ(r.err, "daemoniker: service: service '" + name_ + "' already exists\n");
    // Usage errors: 64.
    for (const std::vector<std::string>& bad :
         std::vector<std::vector<std::string>>{{"service"},
                                               {"service", "install"},
                                               {"service", "install", "x"},
                                               {"service", "bogus", "x"},
                                               {"service", "install", "x", "--start", "sometimes", "--", "prog"},
                                               {"service", "install", "x", "--env", "NOEQUALS", "--", "prog"},
                                               {"service", "stop", "x", "--timeout", "soon"}}) {
        const Result u = run_program(cli_path(), bad);
        EXPECT_EQ(u.exit_code, 64u) << u.err;
        EXPECT_EQ(std::count(u.err.begin(), u.err.end(), '\n'), 1) << u.err;
    }
    r = cmd("install", {"--", utf8(path("no-such-program.exe"))});
    EXPECT_EQ(r.exit_code, 1u);
    EXPECT_NE(r.err.find("no-such-program.exe' was not found"), std::string::npos) << r.err;
}

} // namespace
