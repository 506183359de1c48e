// The daemoniker command end to end, the same on POSIX and on Windows: it
// starts the helper's program modes, and status, send, stop and restart
// reach them through the PID file. The PID file names the process that holds
// its lock: the program itself on POSIX, its supervisor on Windows (each
// platform's own tests check which).

#include "support.hpp"

#include <daemoniker/pid_file.hpp>

#include <algorithm>

namespace shared {
namespace {

class Command : public ProcessTest {
protected:
    // The holder of the PID file's lock, recorded so that teardown ends it
    // (and with it the program) if the test fails half-way.
    Pid holder(const std::string& pid_file = "d.pid") {
        std::error_code ec;
        const auto info = daemoniker::inspect_pid_file(path(pid_file), ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(info.state, daemoniker::PidFileState::running);
        const Pid pid = info.pid;
        if (pid != 0) record(pid);
        return pid;
    }

    // The program, from its log; recorded too.
    Pid program_pid() {
        EXPECT_TRUE(wait_for_file(path("log.txt"), "pid="));
        const auto log = slurp(path("log.txt"));
        const auto at = log.find("pid=");
        const Pid pid = at == std::string::npos ? 0 : std::stoll(log.substr(at + 4));
        if (pid != 0) record(pid);
        return pid;
    }

    std::vector<std::string> start_args(const std::string& mode, const std::vector<std::string>& program_args = {}) {
        std::vector<std::string> args{"start",       "--pid-file", p("d.pid"), "--stdout", p("out.txt"),
                                      "--stderr",    p("err.txt"), "--",       utf8(helper_path()),
                                      mode,          "-",          p("log.txt")};
        args.insert(args.end(), program_args.begin(), program_args.end());
        return args;
    }

    // Both the program and the holder of its PID file end.
    void expect_ended(Pid program, Pid holder) {
        EXPECT_TRUE(wait_exit(program)) << "the program did not end";
        EXPECT_TRUE(wait_exit(holder)) << "the PID file's holder did not end";
        forget(program);
        forget(holder);
        EXPECT_TRUE(wait_gone(path("d.pid"))) << "the PID file was left behind";
    }

    static std::size_t lines(const std::string& s) {
        return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
    }
};

TEST_F(Command, StartStatusSendStop) {
    const auto work = path("work dir");
    std::filesystem::create_directories(work);
    auto args = start_args("serve", {"env=GREETING", "int=record", "hup=record", "an argument with spaces"});
    args.insert(args.begin() + 1, {"--chdir", utf8(work), "--env", "GREETING=hello world"});
    const Result started = cli(args);
    ASSERT_EQ(started.exit_code, 0) << started.err;
    EXPECT_EQ(started.out, "");
    EXPECT_EQ(started.err, "");
    const Pid locker = holder();
    ASSERT_NE(locker, 0);
    EXPECT_TRUE(lock_held(path("d.pid")));
    ASSERT_TRUE(wait_for_file(path("log.txt"), "serving"));
    const Pid program = program_pid();
    ASSERT_NE(program, 0);
    const auto log = slurp(path("log.txt"));
    EXPECT_NE(log.find("cwd=" + utf8(work) + "\n"), std::string::npos) << log;
    EXPECT_NE(log.find("args=env=GREETING|int=record|hup=record|an argument with spaces\n"), std::string::npos) << log;
    EXPECT_NE(log.find("env GREETING=hello world\n"), std::string::npos) << log;

    const Result status = cli({"status", p("d.pid")});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    EXPECT_NE(status.out.find(p("d.pid") + ": running (pid " + std::to_string(locker)), std::string::npos)
        << status.out;
    EXPECT_EQ(lines(status.out), 1u) << status.out;

    // SIGINT and SIGHUP reach the program's own handlers.
    const Result sent = cli({"send", p("d.pid"), "INT"});
    EXPECT_EQ(sent.exit_code, 0) << sent.err;
    EXPECT_TRUE(wait_for_file(path("log.txt"), "handled int 2 on signal thread\n"));
    const Result hup = cli({"send", p("d.pid"), "HUP"});
    EXPECT_EQ(hup.exit_code, 0) << hup.err;
    EXPECT_TRUE(wait_for_file(path("log.txt"), "handled hup 1 on signal thread\n"));
    EXPECT_TRUE(alive(program));

    // SIGTERM: the program's default action, its cleanup, its exit.
    const Result stopped = cli({"stop", p("d.pid")});
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    EXPECT_EQ(stopped.err, "");
    EXPECT_TRUE(wait_for_file(path("log.txt"), "caught received SIGTERM 15 via wait\n"));
    expect_ended(program, locker);
    EXPECT_NE(slurp(path("out.txt")).find("program stdout line\n"), std::string::npos);
    EXPECT_NE(slurp(path("out.txt")).find("daemon stopping\n"), std::string::npos);

    const Result after = cli({"status", p("d.pid")});
    EXPECT_EQ(after.exit_code, 3) << after.out << after.err;
    EXPECT_NE(after.out.find("not running (no PID file)"), std::string::npos) << after.out;
}

// status --json on several files: one object per line, the schema's keys,
// the platform's lock kind, and the status of the file that matters most.
TEST_F(Command, StatusJsonOfARunningAndAMissingDaemon) {
    ASSERT_EQ(cli(start_args("sleep")).exit_code, 0);
    const Pid locker = holder();
    const Pid program = program_pid();
    ASSERT_NE(locker, 0);
    const Result status = cli({"status", "--json", p("d.pid"), p("none.pid")});
    EXPECT_EQ(status.exit_code, 3) << status.out << status.err; // not running beats running
    EXPECT_EQ(status.err, "");
    ASSERT_EQ(lines(status.out), 2u) << status.out;
    const auto first = status.out.substr(0, status.out.find('\n') + 1);
    const auto second = status.out.substr(first.size());
    // A JSON string: Windows paths have backslashes, which JSON escapes.
    const auto json_path = [](std::string text) {
        for (std::size_t at = 0; (at = text.find('\\', at)) != std::string::npos; at += 2) text.insert(at, "\\");
        return "{\"path\":\"" + text + "\",\"path_bytes\":null,";
    };
#ifdef _WIN32
    const std::string lock = "lockfile";
#elif defined(DAEMONIKER_PORTABLE_POSIX)
    const std::string lock = "fcntl"; // classic record locks, as on the BSDs and macOS
#else
    const std::string lock = "ofd";
#endif
    EXPECT_EQ(first.rfind(json_path(p("d.pid")) + "\"state\":\"running\",\"status\":0,\"verified\":true,\"reason\":null,"
                                                   "\"pid\":" + std::to_string(locker) + ",\"start_time\":",
                          0),
              0u)
        << first;
    EXPECT_NE(first.find(",\"lock\":\"" + lock + "\"}\n"), std::string::npos) << first;
    EXPECT_EQ(second, json_path(p("none.pid")) +
                          "\"state\":\"missing\",\"status\":3,\"verified\":false,\"reason\":null,\"pid\":null,"
                          "\"start_time\":null,\"uptime\":null,\"owner\":null,\"lock\":null}\n");
    EXPECT_EQ(cli({"stop", p("d.pid")}).exit_code, 0);
    expect_ended(program, locker);
}

TEST_F(Command, SecondStartIsRefusedAndAStaleFileIsTakenOver) {
    ASSERT_EQ(cli(start_args("sleep")).exit_code, 0);
    const Pid first = holder();
    const Pid program = program_pid();
    ASSERT_NE(first, 0);

    const Result again = cli(start_args("sleep"));
    EXPECT_EQ(again.exit_code, 2);
    EXPECT_EQ(again.err, "daemoniker: start: already running (pid " + std::to_string(first) + "): PID file '" +
                             p("d.pid") + "' is locked\n");
    EXPECT_EQ(pid_in(path("d.pid")), first);
    EXPECT_TRUE(lock_held(path("d.pid")));
    const auto log = slurp(path("log.txt"));
    EXPECT_EQ(log.find("sleeping"), log.rfind("sleeping")) << "a second program was started:\n" << log;
    EXPECT_EQ(cli({"stop", p("d.pid")}).exit_code, 0);
    expect_ended(program, first);

    // A stale file: status and send say so, and send leaves it.
    write_bytes(path("d.pid"), stale_pid_file_text());
    const Result stale = cli({"status", p("d.pid")});
    EXPECT_EQ(stale.exit_code, 1) << stale.out << stale.err;
    EXPECT_NE(stale.out.find("dead, stale PID file"), std::string::npos) << stale.out;
    const Result send = cli({"send", p("d.pid"), "TERM"});
    EXPECT_EQ(send.exit_code, 1) << send.err;
    EXPECT_NE(send.err.find("SIGTERM not sent"), std::string::npos) << send.err;
    EXPECT_TRUE(std::filesystem::exists(path("d.pid")));

    std::filesystem::remove(path("log.txt"));
    const Result taken = cli(start_args("sleep"));
    EXPECT_EQ(taken.exit_code, 0) << taken.err;
    const Pid second = holder();
    const Pid program2 = program_pid();
    EXPECT_EQ(pid_in(path("d.pid")), second);
    EXPECT_EQ(cli({"stop", p("d.pid")}).exit_code, 0);
    expect_ended(program2, second);
}

// A PID file option that names some other file costs the user nothing, and
// a PID file that everyone may write is believed by no command.
TEST_F(Command, StartRefusesAFileThatIsNoPidFileOrThatOthersMayWrite) {
    const std::string config = "# settings\r\nlisten = 0.0.0.0:8080\r\nworkers = 4\r\n";
    write_bytes(path("d.pid"), config);
    const Result refused = cli(start_args("sleep"));
    if (refused.exit_code == 0) holder(); // taken over: recorded, so that teardown ends it
    EXPECT_EQ(refused.exit_code, 1) << refused.err;
    EXPECT_EQ(refused.err, "daemoniker: start: cannot start daemon: open PID file '" + p("d.pid") + "': " +
                               daemoniker::make_error_code(daemoniker::errc::not_a_pid_file).message() + "\n");
    EXPECT_EQ(bytes_of(path("d.pid")), config);
    EXPECT_FALSE(std::filesystem::exists(path("log.txt"))) << "the program was started";

    const std::string stale = stale_pid_file_text();
    write_bytes(path("d.pid"), stale);
    ASSERT_TRUE(let_everyone_write(path("d.pid")));
    const std::string writable = daemoniker::make_error_code(daemoniker::errc::writable_by_others).message();
    const Result again = cli(start_args("sleep"));
    if (again.exit_code == 0) holder();
    EXPECT_EQ(again.exit_code, 1) << again.err;
    EXPECT_EQ(again.err.rfind("daemoniker: start: cannot start daemon: open PID file '" + p("d.pid") + "': ", 0), 0u)
        << again.err;
    EXPECT_NE(again.err.find(writable), std::string::npos) << again.err;
    const Result status = cli({"status", p("d.pid")});
    EXPECT_EQ(status.exit_code, 4) << status.out << status.err;
    EXPECT_NE(status.out.find(writable), std::string::npos) << status.out;
    const Result sent = cli({"send", p("d.pid"), "TERM"});
    EXPECT_EQ(sent.exit_code, 4) << sent.err;
    EXPECT_NE(sent.err.find(writable), std::string::npos) << sent.err;
    const Result stopped = cli({"stop", p("d.pid")});
    EXPECT_EQ(stopped.exit_code, 4) << stopped.err;
    EXPECT_NE(stopped.err.find(writable), std::string::npos) << stopped.err;
    EXPECT_EQ(bytes_of(path("d.pid")), stale);
    EXPECT_FALSE(std::filesystem::exists(path("log.txt"))) << "the program was started";
}

TEST_F(Command, RestartReplacesTheDaemon) {
    ASSERT_EQ(cli(start_args("serve")).exit_code, 0);
    const Pid first = holder();
    ASSERT_TRUE(wait_for_file(path("log.txt"), "serving"));
    const Pid program = program_pid();
    std::filesystem::remove(path("log.txt"));
    auto args = start_args("serve");
    args[0] = "restart";
    const Result restarted = cli(args);
    EXPECT_EQ(restarted.exit_code, 0) << restarted.err;
    EXPECT_TRUE(wait_exit(program)) << "the first program did not end";
    EXPECT_TRUE(wait_exit(first)) << "the first holder did not end";
    forget(program);
    forget(first);
    const Pid second = holder();
    EXPECT_NE(second, first);
    ASSERT_TRUE(wait_for_file(path("log.txt"), "serving"));
    const Pid program2 = program_pid();
    EXPECT_EQ(cli({"stop", p("d.pid")}).exit_code, 0);
    expect_ended(program2, second);
}

TEST_F(Command, FailuresAreOneLineAndLeaveNothing) {
    const Result missing = cli({"start", "--pid-file", p("d.pid"), "--", "no-such-program-here"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.err.rfind("daemoniker: start: cannot start program: 'no-such-program-here' was not found on PATH",
                                0),
              0u)
        << missing.err;
    EXPECT_EQ(lines(missing.err), 1u) << missing.err;

    const std::string nested = utf8(path("missing") / "d.pid");
    const Result no_dir = cli({"start", "--pid-file", nested, "--", utf8(helper_path()), "sleep", "-", "x"});
    EXPECT_EQ(no_dir.exit_code, 1);
    EXPECT_NE(no_dir.err.find("open PID file '" + nested + "'"), std::string::npos) << no_dir.err;
    EXPECT_EQ(lines(no_dir.err), 1u) << no_dir.err;

    // A file that exists but is no program: the start reports the exec step
    // and removes its PID file.
    write_bytes(path("not-a-program.exe"), "plain text\n");
    const Result bad = cli({"start", "--pid-file", p("d.pid"), "--", p("not-a-program.exe")});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("cannot start program: execute '" + p("not-a-program.exe") + "'"), std::string::npos)
        << bad.err;
    EXPECT_EQ(lines(bad.err), 1u) << bad.err;

    EXPECT_EQ(cli({"status", p("d.pid")}).exit_code, 3);
    EXPECT_EQ(cli({"stop", p("d.pid")}).exit_code, 1);
    EXPECT_EQ(cli({"send", p("d.pid"), "TERM"}).exit_code, 1);
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

} // namespace
} // namespace shared
