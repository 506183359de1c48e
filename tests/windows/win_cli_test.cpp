// The daemoniker command on Windows only, end to end under Wine:
// daemoniker.exe starts the helper's program modes under its supervisor,
// which holds the PID file and passes signals on; what only the supervisor
// and its job do is tested here. start/status/send/stop/restart as both
// platforms have them are tested in tests/shared/shared_cli_test.cpp.

#include "win_support.hpp"

#include <daemoniker/pid_file.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>

namespace wintest {
namespace {

class WinCliTest : public WinProcessTest {
protected:
    // Runs daemoniker.exe; a start's process is remembered, so that a
    // supervisor it leaves behind fails the test (and is ended).
    Result cli(const std::vector<std::string>& args) {
        Result r = run_program(cli_path(), args, {}, 60s);
        launched(r);
        return r;
    }

    // The supervisor in the PID file, recorded so that teardown ends it (and
    // with it, through its job, the program) if the test fails half-way.
    DWORD supervisor(const std::string& pid_file = "d.pid") {
        std::error_code ec;
        const auto info = daemoniker::inspect_pid_file(path(pid_file), ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(info.state, daemoniker::PidFileState::running);
        const auto pid = static_cast<DWORD>(info.pid);
        if (pid != 0) record(pid);
        return pid;
    }

    std::vector<std::string> start_args(const std::string& mode, std::vector<std::string> program_args = {}) {
        std::vector<std::string> args{"start", "--pid-file", p("d.pid"), "--stdout", p("out.txt"), "--stderr",
                                      p("err.txt"), "--", utf8(helper_path()), mode, "-", p("log.txt")};
        args.insert(args.end(), program_args.begin(), program_args.end());
        return args;
    }

    // The program, from its log; recorded too, so that one that escaped its
    // supervisor's job would still be ended.
    DWORD program_pid() {
        EXPECT_TRUE(wait_for_file(path("log.txt"), "pid="));
        const auto log = slurp(path("log.txt"));
        const auto at = log.find("pid=");
        const DWORD pid = at == std::string::npos ? 0 : static_cast<DWORD>(std::stoul(log.substr(at + 4)));
        if (pid != 0) record(pid);
        return pid;
    }

    // The exit code of a recorded process that has exited.
    DWORD exit_code_of(DWORD pid) {
        DWORD code = 0xffffffff;
        if (const auto it = recorded_.find(pid); it != recorded_.end()) ::GetExitCodeProcess(it->second.get(), &code);
        return code;
    }

    // Wine delivers no console control events (docs/how-it-works.md).
    static bool under_wine() {
        return ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr;
    }
};

// The PID file names the supervisor, which passes signals on to the
// program's own channel; a signal the program has no action for is dropped
// by the program, and send says so (POSIX would end the program).
TEST_F(WinCliTest, ThePidFileNamesTheSupervisorAndASignalWithoutActionIsDropped) {
    const Result started = cli(start_args("serve", {"int=record"}));
    ASSERT_EQ(started.exit_code, 0u) << started.err;
    const DWORD sup = supervisor();
    ASSERT_NE(sup, 0u);
    ASSERT_TRUE(wait_for_file(path("log.txt"), "serving"));
    const DWORD program = program_pid();
    EXPECT_NE(program, sup) << "the PID file names the supervisor, not the program";

    const Result usr1 = cli({"send", p("d.pid"), "USR1"});
    EXPECT_EQ(usr1.exit_code, 4u) << usr1.err;
    EXPECT_NE(usr1.err.find("SIGUSR1"), std::string::npos) << usr1.err;
    EXPECT_NE(usr1.err.find("dropped"), std::string::npos) << usr1.err;
    EXPECT_TRUE(wait_for_file(path("err.txt"), "SIGUSR1 dropped: the program (pid " + std::to_string(program) +
                                                   ") has no action for it"));
    EXPECT_TRUE(alive(program));

    const Result stopped = cli({"stop", p("d.pid")});
    EXPECT_EQ(stopped.exit_code, 0u) << stopped.err;
    EXPECT_TRUE(wait_exit(program, 5s));
    EXPECT_TRUE(wait_exit(sup, 5s));
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

// Text beyond the ANSI code page in every place a user may put it: the
// directory of the PID file and the streams, the working directory, the
// program's own path, its arguments and an --env value. daemoniker.exe reads
// its UTF-16 command line; the char** argv would have turned them into '?'.
TEST_F(WinCliTest, UnicodeArgumentsAndPathsArriveIntact) {
    const std::string dir = "ünï 日本";
    const auto work = path(dir) / from_utf8("work ü");
    std::filesystem::create_directories(work);
    const auto program = path(dir + "/程序 ü.exe");
    std::filesystem::copy_file(helper_path(), program);
    const std::string pid_file = dir + "/d ü.pid";
    const Result started = cli({"start", "--pid-file", p(pid_file), "--stdout", p(dir + "/out ü.txt"), "--stderr",
                                p(dir + "/err ü.txt"), "--chdir", utf8(work), "--env", "GREETING=こんにちは",
                                "--", utf8(program), "serve", "-", p("log.txt"), "env=GREETING", "Grüße",
                                "日本語 テキスト"});
    ASSERT_EQ(started.exit_code, 0u) << started.err;
    EXPECT_EQ(started.err, "");
    const DWORD sup = supervisor(pid_file);
    ASSERT_NE(sup, 0u);
    EXPECT_TRUE(lock_held(path(pid_file)));
    ASSERT_TRUE(wait_for_file(path("log.txt"), "serving"));
    const DWORD program_id = program_pid();
    const auto log = slurp(path("log.txt"));
    EXPECT_NE(log.find("cwd=" + utf8(work)), std::string::npos) << log;
    EXPECT_NE(log.find("args=env=GREETING|Grüße|日本語 テキスト"), std::string::npos) << log;
    EXPECT_NE(log.find("env GREETING=こんにちは"), std::string::npos) << log;

    const Result status = cli({"status", p(pid_file)});
    EXPECT_EQ(status.exit_code, 0u) << status.err;
    EXPECT_NE(status.out.find(p(pid_file) + ": running (pid " + std::to_string(sup)), std::string::npos) << status.out;

    const Result stopped = cli({"stop", p(pid_file)});
    EXPECT_EQ(stopped.exit_code, 0u) << stopped.err;
    EXPECT_TRUE(wait_exit(program_id, 5s));
    EXPECT_TRUE(wait_exit(sup, 5s));
    EXPECT_FALSE(std::filesystem::exists(path(pid_file)));
    EXPECT_NE(slurp(path(dir + "/out ü.txt")).find("daemon stopping"), std::string::npos);

    // A failure names the file as it was given, in UTF-8.
    const Result absent = cli({"send", p(pid_file), "TERM"});
    EXPECT_EQ(absent.exit_code, 1u);
    EXPECT_NE(absent.err.find("'" + p(pid_file) + "'"), std::string::npos) << absent.err;
}

TEST_F(WinCliTest, StopTerminatesAProgramThatCannotBeAsked) {
    const Result started = cli(start_args("sleep"));
    ASSERT_EQ(started.exit_code, 0u) << started.err;
    const DWORD sup = supervisor();
    const DWORD program = program_pid();
    ASSERT_TRUE(alive(program));

    // SIGHUP has nowhere to go: dropped, said so to the sender (exit 4) and
    // in the log, and the program lives on.
    const Result hup = cli({"send", p("d.pid"), "HUP"});
    EXPECT_EQ(hup.exit_code, 4u) << hup.err;
    EXPECT_NE(hup.err.find("cannot send SIGHUP"), std::string::npos) << hup.err;
    EXPECT_NE(hup.err.find("dropped"), std::string::npos) << hup.err;
    EXPECT_TRUE(wait_for_file(path("err.txt"), "SIGHUP dropped: the program (pid " + std::to_string(program) +
                                                   ") serves no daemoniker signal channel"));
    EXPECT_TRUE(alive(program));

    const Result stopped = cli({"stop", p("d.pid")});
    EXPECT_EQ(stopped.exit_code, 0u) << stopped.err;
    EXPECT_TRUE(wait_exit(program, 5s));
    EXPECT_TRUE(wait_exit(sup, 5s));
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
    // Under Wine no console event can be delivered, so this is the fallback;
    // on Windows, Ctrl-Break ends a program without a handler of its own.
    if (under_wine()) {
        EXPECT_NE(slurp(path("err.txt")).find("SIGTERM: the program"), std::string::npos) << slurp(path("err.txt"));
    }
}

TEST_F(WinCliTest, TheSupervisorEndsWithTheProgramAndRemovesTheFile) {
    const Result started = cli(start_args("sleep", {"1500", "7"}));
    ASSERT_EQ(started.exit_code, 0u) << started.err;
    const DWORD sup = supervisor();
    const DWORD program = program_pid();
    EXPECT_TRUE(alive(sup));
    EXPECT_TRUE(wait_exit(program, 10s));
    EXPECT_TRUE(wait_exit(sup, 5s)) << "the supervisor outlived its program";
    EXPECT_EQ(exit_code_of(program), 7u);
    EXPECT_EQ(exit_code_of(sup), 7u) << "the supervisor exits with the program's exit code";
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
    EXPECT_EQ(cli({"status", p("d.pid")}).exit_code, 3u);
}

// A program that stopped answering (here: suspended, its channel's pipe
// still there) holds neither the sender nor the supervisor: the pass-on of
// SIGHUP gives up after a second and says so, and stop still ends it.
TEST_F(WinCliTest, AHungProgramHoldsNeitherSendNorStop) {
    using NtSuspendProcess = LONG(NTAPI*)(HANDLE);
    const auto suspend = reinterpret_cast<NtSuspendProcess>(
        reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtSuspendProcess")));
    ASSERT_NE(suspend, nullptr);
    const Result started = cli(start_args("serve", {"hup=record"}));
    ASSERT_EQ(started.exit_code, 0u) << started.err;
    const DWORD sup = supervisor();
    ASSERT_TRUE(wait_for_file(path("log.txt"), "serving"));
    const DWORD program = program_pid();
    HANDLE h = ::OpenProcess(PROCESS_SUSPEND_RESUME, FALSE, program);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(suspend(h), 0);
    ::CloseHandle(h);

    // Whether the program will have it is unknown: not reported as dropped.
    const Result hup = cli({"send", p("d.pid"), "HUP"});
    EXPECT_EQ(hup.exit_code, 0u) << hup.err;
    EXPECT_TRUE(wait_for_file(path("err.txt"), "cannot pass SIGHUP on over the program's channel (pid " +
                                                   std::to_string(program) + ")"));

    const Result stopped = cli({"stop", p("d.pid")});
    EXPECT_EQ(stopped.exit_code, 0u) << stopped.err;
    EXPECT_TRUE(wait_exit(program, 5s));
    EXPECT_TRUE(wait_exit(sup, 5s));
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

TEST_F(WinCliTest, AbortTerminatesAProgramThatCannotBeAsked) {
    ASSERT_EQ(cli(start_args("sleep")).exit_code, 0u);
    const DWORD sup = supervisor();
    const DWORD program = program_pid();
    const Result sent = cli({"send", p("d.pid"), "ABRT"});
    EXPECT_EQ(sent.exit_code, 0u) << sent.err;
    EXPECT_TRUE(wait_exit(program, 5s));
    EXPECT_TRUE(wait_exit(sup, 5s));
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
    EXPECT_NE(slurp(path("err.txt")).find("SIGABRT: terminating the program (pid " + std::to_string(program) +
                                          ") with exit code 3"),
              std::string::npos)
        << slurp(path("err.txt"));
}

TEST_F(WinCliTest, SendKillTerminatesTheSupervisorAndTheJobTakesTheProgram) {
    ASSERT_EQ(cli(start_args("serve")).exit_code, 0u);
    const DWORD sup = supervisor();
    const DWORD program = program_pid();
    const Result killed = cli({"send", p("d.pid"), "KILL"});
    EXPECT_EQ(killed.exit_code, 0u) << killed.err;
    EXPECT_TRUE(wait_exit(sup, 5s));
    EXPECT_TRUE(wait_exit(program, 5s)) << "the program outlived its supervisor";
    EXPECT_EQ(exit_code_of(sup), 137u);
    // Killed, it could not remove its file: stale now, and status says so.
    EXPECT_EQ(cli({"status", p("d.pid")}).exit_code, 1u);
}

TEST_F(WinCliTest, RetryScheduleEscalatesToKillAndTheJobTakesTheProgram) {
    const Result started = cli(start_args("serve", {"term=ignore"}));
    ASSERT_EQ(started.exit_code, 0u) << started.err;
    const DWORD sup = supervisor();
    ASSERT_TRUE(wait_for_file(path("log.txt"), "serving"));
    const DWORD program = program_pid();

    // The program ignores TERM and has no action for HUP, which it drops:
    // that counts as sent, and the schedule goes on to KILL.
    const auto t0 = std::chrono::steady_clock::now();
    const Result stopped = cli({"stop", p("d.pid"), "--retry", "TERM/1/HUP/1/KILL/5"});
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(stopped.exit_code, 0u) << stopped.err;
    EXPECT_GE(took, 2s) << "KILL came before the scheduled two seconds";
    EXPECT_NE(slurp(path("err.txt")).find("SIGHUP dropped: the program (pid " + std::to_string(program) +
                                          ") has no action for it"),
              std::string::npos)
        << slurp(path("err.txt"));
    EXPECT_TRUE(wait_exit(sup, 5s));
    EXPECT_TRUE(wait_exit(program, 5s)) << "the program outlived its supervisor";
    // The supervisor died holding its file: stop removed the stale file.
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

// A supervisor that dies without cleanup takes its program with it (the
// job) and leaves its PID file stale, which the next start takes over.
TEST_F(WinCliTest, AKilledSupervisorTakesItsProgramAndLeavesAStaleFile) {
    ASSERT_EQ(cli(start_args("sleep")).exit_code, 0u);
    const DWORD first = supervisor();
    const DWORD program = program_pid();

    HANDLE h = ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, first);
    ASSERT_NE(h, nullptr);
    ::TerminateProcess(h, 9);
    ::WaitForSingleObject(h, 5000);
    ::CloseHandle(h);
    EXPECT_TRUE(wait_exit(program, 5s));
    ASSERT_TRUE(std::filesystem::exists(path("d.pid")));

    const Result stale = cli({"status", p("d.pid")});
    EXPECT_EQ(stale.exit_code, 1u) << stale.out << stale.err;
    const Result send = cli({"send", p("d.pid"), "TERM"});
    EXPECT_EQ(send.exit_code, 1u) << send.err;
    EXPECT_NE(send.err.find("not running"), std::string::npos) << send.err;

    std::filesystem::remove(path("log.txt"));
    const Result taken = cli(start_args("sleep"));
    EXPECT_EQ(taken.exit_code, 0u) << taken.err;
    const DWORD second = supervisor();
    EXPECT_NE(second, first);
    EXPECT_EQ(cli({"stop", p("d.pid")}).exit_code, 0u);
    EXPECT_TRUE(wait_exit(second, 5s));
}

// What only POSIX has is refused as bad usage, naming Windows.
TEST_F(WinCliTest, PosixOnlyOptionsAndSignalsAreUsageErrors) {
    for (const auto& flag : {std::vector<std::string>{"--wait-ready"}, {"--user", "nobody"}, {"--group", "users"},
                             {"--umask", "022"}, {"--keep-fd", "5"}, {"--chroot", "C:\\jail"}, {"--core"},
                             {"--no-core"}, {"--nice", "5"}, {"--iosched", "idle"}, {"--rlimit", "nofile=64"}}) {
        std::vector<std::string> args{"start", "--pid-file", p("d.pid")};
        args.insert(args.end(), flag.begin(), flag.end());
        args.insert(args.end(), {"--", utf8(helper_path()), "sleep", "-", "x"});
        const Result r = cli(args);
        EXPECT_EQ(r.exit_code, 64u) << flag[0];
        // --no-core is --core's negation: the message names --core.
        const std::string named = flag[0] == "--no-core" ? "--core" : flag[0];
        EXPECT_NE(r.err.find(named + ": "), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("Windows"), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
    EXPECT_EQ(cli({"send", p("d.pid"), "RTMIN"}).exit_code, 64u);
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

} // namespace
} // namespace wintest
