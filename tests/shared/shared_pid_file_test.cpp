// The PID-file contract with real daemons, the same on POSIX and on Windows:
// written and locked while the daemon runs, a second start refused naming
// the holder, a stale file taken over, and the trust rules: a file that is
// not a PID file, has a second name, or that every user may write is never
// taken over nor believed.

#include "support.hpp"

#include <daemoniker/daemoniker.hpp>

#include <algorithm>

namespace shared {
namespace {

class PidFile : public ProcessTest {
protected:
    // Starts the helper's daemon on d.pid; its PID, or 0 when the start
    // failed. A daemon that started is recorded, so that teardown ends it.
    Pid start(Result& r) {
        r = helper("daemonize");
        if (r.exit_code != 0) return 0;
        auto rep = read_report(path("report"));
        if (rep.empty()) return 0;
        const Pid pid = std::stoll(rep["pid"]);
        record(pid);
        return pid;
    }
    Pid start() {
        Result r;
        const Pid pid = start(r);
        EXPECT_NE(pid, 0) << r.err;
        return pid;
    }

    // The daemon stops on SIGTERM and removes its file.
    void stop(Pid pid) {
        daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm);
        EXPECT_TRUE(wait_exit(pid)) << "the daemon did not exit";
        EXPECT_EQ(exit_code(pid), 0);
        forget(pid);
        EXPECT_TRUE(wait_gone(path("d.pid"))) << "the PID file was left behind";
    }

    // The start fails at the PID file for `reason`, and the file keeps its
    // bytes and its time of last write.
    void expect_refused(daemoniker::errc reason) {
        const auto file = path("d.pid");
        const std::string before = bytes_of(file);
        const auto written = std::filesystem::last_write_time(file);
        Result r;
        const Pid pid = start(r);
        EXPECT_EQ(pid, 0) << "took over a file holding '" << before << "'";
        EXPECT_EQ(r.exit_code, 1) << r.err;
        // POSIX names the mode that makes a file writable by others, Windows
        // has no one word for a DACL: the reason ends the line on both.
        const std::string prefix = "daemoniker: cannot start daemon: open PID file '" + p("d.pid") + "': ";
        const std::string reason_text = daemoniker::make_error_code(reason).message() + "\n";
        EXPECT_EQ(r.err.rfind(prefix, 0), 0u) << r.err;
        EXPECT_TRUE(r.err.size() >= reason_text.size() &&
                    r.err.compare(r.err.size() - reason_text.size(), reason_text.size(), reason_text) == 0)
            << r.err << "expected to end with: " << reason_text;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_EQ(bytes_of(file), before);
        EXPECT_EQ(std::filesystem::last_write_time(file), written);
        EXPECT_FALSE(std::filesystem::exists(path("report")));
    }

    // The start takes the file over; the daemon is then stopped, and removes it.
    void expect_taken_over(const std::string& content) {
        write_bytes(path("d.pid"), content);
        Result r;
        const Pid pid = start(r);
        ASSERT_NE(pid, 0) << "refused a file holding '" << content << "': " << r.err;
        EXPECT_EQ(pid_in(path("d.pid")), pid);
        stop(pid);
    }

};

TEST_F(PidFile, SecondStartIsRefusedNamingTheHolder) {
    const Pid pid = start();
    ASSERT_NE(pid, 0);
    const Result second = run(helper_path(), {"daemonize", p("d.pid"), p("report2")});
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_EQ(second.err, "daemoniker: already running (pid " + std::to_string(pid) + "): PID file '" + p("d.pid") +
                              "' is locked\n");
    EXPECT_FALSE(std::filesystem::exists(path("report2")));
    // The running daemon keeps its file and its lock.
    EXPECT_EQ(pid_in(path("d.pid")), pid);
    EXPECT_TRUE(lock_held(path("d.pid")));
    std::error_code ec;
    const auto info = daemoniker::inspect_pid_file(path("d.pid"), ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(info.state, daemoniker::PidFileState::running);
    EXPECT_EQ(info.pid, pid);
    stop(pid);
}

TEST_F(PidFile, StaleFileAfterADaemonWasKilledIsTakenOver) {
    const Pid first = start();
    ASSERT_NE(first, 0);
    ASSERT_TRUE(kill_recorded(first)); // no cleanup: the file stays
    ASSERT_EQ(pid_in(path("d.pid")), first);
    EXPECT_TRUE(wait_unlocked(path("d.pid"))); // ... but nobody holds its lock: stale
    std::error_code ec;
    EXPECT_EQ(daemoniker::inspect_pid_file(path("d.pid"), ec).state, daemoniker::PidFileState::stale);
    EXPECT_FALSE(daemoniker::is_running(path("d.pid")));
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::stale_pid_file);

    const Result r = run(helper_path(), {"daemonize", p("d.pid"), p("report2")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto rep = read_report(path("report2"));
    ASSERT_FALSE(rep.empty());
    const Pid second = std::stoll(rep["pid"]);
    record(second);
    EXPECT_EQ(pid_in(path("d.pid")), second);
    EXPECT_TRUE(lock_held(path("d.pid")));
    stop(second);
}

// A mistyped PID file path must not cost the user the file it names.
TEST_F(PidFile, AFileThatIsNoPidFileIsRefusedAndLeftUntouched) {
    const std::string not_pid_files[] = {
        "# settings\r\nlisten = 0.0.0.0:8080\r\nworkers = 4\r\n", // a configuration file
        "4242\n131000000000000000\nanother line\n",            // more lines than a PID file has
        "4242\n\n",                                             // an empty second line
        "4242\nnot a creation time\n",
        "4242 and some words\n",
        std::string(200, '7'),
    };
    for (const auto& content : not_pid_files) {
        write_bytes(path("d.pid"), content);
        expect_refused(daemoniker::errc::not_a_pid_file);
    }
    // What a PID file holds, or nothing, is taken over.
    expect_taken_over("");
    expect_taken_over("4242\n");
    expect_taken_over(stale_pid_file_text());
}

// Another name for the file would keep pointing at whatever a start writes.
TEST_F(PidFile, AStalePidFileWithASecondLinkIsRefused) {
    const std::string stale = stale_pid_file_text();
    write_bytes(path("d.pid"), stale);
    std::filesystem::create_hard_link(path("d.pid"), path("other name"));
    expect_refused(daemoniker::errc::not_a_pid_file);
    EXPECT_EQ(bytes_of(path("other name")), stale);
    // With its one name again, it is an ordinary stale PID file.
    std::filesystem::remove(path("other name"));
    expect_taken_over(bytes_of(path("d.pid")));
}

TEST_F(PidFile, AStalePidFileThatEveryoneMayWriteIsRefused) {
    write_bytes(path("d.pid"), stale_pid_file_text());
    std::error_code ec;
    EXPECT_EQ(daemoniker::inspect_pid_file(path("d.pid"), ec).state, daemoniker::PidFileState::stale);
    ASSERT_TRUE(let_everyone_write(path("d.pid")));
    expect_refused(daemoniker::errc::writable_by_others);
    expect_not_believed(path("d.pid"));
}

TEST_F(PidFile, ALiveDaemonsFileThatEveryoneMayWriteIsNotBelieved) {
    const Pid pid = start();
    ASSERT_NE(pid, 0);
    const auto file = path("d.pid");
    const std::string before = bytes_of(file);
    ASSERT_TRUE(let_everyone_write(file));

    expect_not_believed(file);
    EXPECT_TRUE(alive(pid)) << "a refused send reached the daemon";
    EXPECT_EQ(bytes_of(file), before);

    // Writable by its owner alone again: believed again, and the daemon answers.
    ASSERT_TRUE(let_only_owner_write(file));
    EXPECT_TRUE(daemoniker::is_running(file));
    stop(pid);
}

} // namespace
} // namespace shared
