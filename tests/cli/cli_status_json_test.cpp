// status with several PID files and --json, on real daemons: one JSON object
// per file and line, parsed by jq (an independent parser) and checked with
// iconv for valid UTF-8; the LSB status of the file that matters most.

#include "cli_support.hpp"

#include <fstream>
#include <pwd.h>
#include <sys/stat.h>

namespace test {
namespace {

class CliStatusJson : public Cli {
protected:
    void SetUp() override {
        Cli::SetUp();
        if (::access("/usr/bin/jq", X_OK) != 0) GTEST_SKIP() << "jq is not installed (scripts/install-deps)";
    }

    /// jq `filter` over one JSON text, its strings raw (-j: decoded bytes, no newline).
    std::string jq(const std::string& json, const std::string& filter) {
        const auto input = path("jq-input");
        std::ofstream(input, std::ios::binary) << json;
        const auto r = run({"/usr/bin/jq", "-c", "-j", filter, input.string()});
        EXPECT_EQ(r.status, 0) << "jq " << filter << ": " << r.err << " on " << json;
        return r.out;
    }

    /// The lines of `text`, each a JSON object that jq accepts; every line
    /// is valid UTF-8 and free of raw control characters.
    std::vector<std::string> objects(const std::string& text) {
        std::vector<std::string> out;
        for (std::size_t pos = 0, end; (end = text.find('\n', pos)) != std::string::npos; pos = end + 1)
            out.push_back(text.substr(pos, end - pos));
        const auto input = path("utf8-input");
        std::ofstream(input, std::ios::binary) << text;
        const auto r = run({"/usr/bin/iconv", "-f", "UTF-8", "-t", "UTF-8", input.string()});
        EXPECT_EQ(r.status, 0) << "not valid UTF-8: " << text;
        for (const auto& line : out) {
            EXPECT_EQ(jq(line, "type"), "object") << line;
            for (const char c : line)
                EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << "raw control byte in " << line;
        }
        return out;
    }

    static std::string lock_kind() {
#ifdef DAEMONIKER_PORTABLE_POSIX
        return "fcntl"; // classic record locks, as on the BSDs and macOS
#else
        return "ofd";
#endif
    }

    /// A PID file of a daemon that was killed with SIGKILL, keeper first so
    /// that nobody removes the file: unlocked, naming a dead process.
    void make_stale(const std::filesystem::path& file) {
        const auto r = cli({"start", "--pid-file", file.string(), "--wait-ready", "--", program(), "ready-after", "0"});
        ASSERT_EQ(r.status, 0) << r.err;
        const pid_t pid = pid_in(file);
        ASSERT_GT(pid, 0);
        record(pid);
        const pid_t keeper = keeper_of(pid);
        ASSERT_GT(keeper, 0);
        ASSERT_EQ(::kill(keeper, SIGKILL), 0);
        ASSERT_TRUE(wait_exit(keeper).has_value());
        keepers_.erase(pid);
        // Reparented to this subreaper and not reaped yet, so its PID is not reused.
        ::kill(pid, SIGKILL);
        ASSERT_TRUE(wait_exit(pid).has_value());
        recorded_.erase(pid);
    }

    /// A PID file in a directory that everyone may write (no sticky bit):
    /// anyone could have put it there, so it is refused.
    std::filesystem::path make_refused(const std::string& name = "open.pid") {
        const auto open = path("open");
        std::filesystem::create_directories(open);
        ::chmod(open.c_str(), 0777);
        const auto file = open / name;
        std::ofstream(file, std::ios::binary) << ::getpid() << "\n";
        return file;
    }
};

TEST_F(CliStatusJson, RunningStaleMissingAndRefusedInOneCall) {
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    const auto stale = path("stale.pid");
    make_stale(stale);
    const auto missing = path("missing.pid");
    const auto refused = make_refused();

    const auto r = cli({"status", "--json", pid_file().string(), stale.string(), missing.string(), refused.string()});
    EXPECT_EQ(r.status, 4) << r.out << r.err; // refused, the one that matters most
    EXPECT_EQ(r.err, "");
    const auto objs = objects(r.out);
    ASSERT_EQ(objs.size(), 4u) << r.out;
    const std::string uid = std::to_string(::getuid());

    const auto& running = objs[0];
    EXPECT_EQ(jq(running, ".path"), pid_file().string());
    EXPECT_EQ(jq(running, ".path_bytes"), "null");
    EXPECT_EQ(jq(running, ".state"), "running");
    EXPECT_EQ(jq(running, ".status"), "0");
    EXPECT_EQ(jq(running, ".verified"), "true");
    EXPECT_EQ(jq(running, ".reason"), "null");
    EXPECT_EQ(jq(running, ".pid"), std::to_string(pid));
    EXPECT_EQ(jq(running, ".owner.uid"), uid);
    EXPECT_EQ(jq(running, ".lock"), lock_kind());
#ifdef DAEMONIKER_PORTABLE_POSIX
    // No process table to read the age from.
    EXPECT_EQ(jq(running, "[.uptime, .start_time]"), "[null,null]");
#else
    EXPECT_EQ(jq(running, ".uptime | type"), "number");
    EXPECT_EQ(jq(running, ".uptime >= 0 and .uptime < 600"), "true") << running;
    // Started within the last ten minutes, by the clock of this machine.
    EXPECT_EQ(jq(running, ".start_time | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$\")"), "true")
        << running;
    EXPECT_EQ(jq(running, "(now - (.start_time | fromdateiso8601)) | (. > -2 and . < 600)"), "true") << running;
#endif

    const auto& dead = objs[1];
    EXPECT_EQ(jq(dead, ".path"), stale.string());
    EXPECT_EQ(jq(dead, ".state"), "stale");
    EXPECT_EQ(jq(dead, ".status"), "1");
    EXPECT_EQ(jq(dead, ".verified"), "false");
    EXPECT_NE(jq(dead, ".reason").find("has exited"), std::string::npos) << dead;
    EXPECT_EQ(jq(dead, ".pid | type"), "number");
    EXPECT_EQ(jq(dead, "[.uptime, .start_time]"), "[null,null]");
    EXPECT_EQ(jq(dead, ".owner.uid"), uid);
    EXPECT_EQ(jq(dead, ".lock"), "none");

    const auto& none = objs[2];
    EXPECT_EQ(jq(none, ".path"), missing.string());
    EXPECT_EQ(jq(none, ".state"), "missing");
    EXPECT_EQ(jq(none, ".status"), "3");
    EXPECT_EQ(jq(none, "[.reason, .pid, .uptime, .start_time, .owner, .lock]"), "[null,null,null,null,null,null]");

    const auto& bad = objs[3];
    EXPECT_EQ(jq(bad, ".path"), refused.string());
    EXPECT_EQ(jq(bad, ".state"), "refused");
    EXPECT_EQ(jq(bad, ".status"), "4");
    EXPECT_NE(jq(bad, ".reason").find("may be written by a user other than you"), std::string::npos) << bad;
    EXPECT_EQ(jq(bad, ".owner.uid"), uid);
    EXPECT_EQ(jq(bad, ".lock"), "null");

    // Every object has the same keys in the same order: the stable schema.
    for (const auto& line : objs)
        EXPECT_EQ(jq(line, "keys_unsorted | join(\",\")"),
                  "path,path_bytes,state,status,verified,reason,pid,start_time,uptime,owner,lock")
            << line;

    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    reaped(pid);
}

TEST_F(CliStatusJson, SeveralFilesExitWithTheStatusThatMattersMostInAnyOrder) {
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    const auto running = pid_file().string();
    const auto stale = path("stale.pid");
    make_stale(stale);
    const auto missing = path("missing.pid").string();
    const auto refused = make_refused().string();
    struct Case {
        std::vector<std::string> files;
        int status;
    };
    const std::vector<Case> cases{
        {{running, running}, 0},
        {{running, missing}, 3},
        {{missing, running}, 3},
        {{missing, stale.string()}, 1},
        {{stale.string(), missing}, 1},
        {{refused, stale.string(), running}, 4},
        {{running, missing, refused}, 4},
    };
    for (const auto& c : cases) {
        for (const bool json : {false, true}) {
            std::vector<std::string> args{"status"};
            if (json) args.push_back("--json");
            args.insert(args.end(), c.files.begin(), c.files.end());
            const auto r = cli(args);
            std::string all;
            for (const auto& f : c.files) all += f + " ";
            EXPECT_EQ(r.status, c.status) << (json ? "--json " : "") << all << "\n" << r.out << r.err;
            EXPECT_EQ(lines(r.out), c.files.size()) << r.out;
            // In the order given, one line per file.
            std::size_t at = 0;
            for (const auto& f : c.files) {
                const auto found = r.out.find(json ? "{\"path\":\"" + f + "\"" : f + ": ", at);
                EXPECT_EQ(found, at) << f << " in\n" << r.out;
                at = r.out.find('\n', at) + 1;
            }
        }
    }
    // A bad argument anywhere: usage, and no file is looked at.
    const auto r = cli({"status", "--json", running, ""});
    EXPECT_EQ(r.status, 64) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(cli({"stop", running}).status, 0);
    reaped(pid);
}

TEST_F(CliStatusJson, HostileFileNamesAreEscapedAndRecoverable) {
    // Valid UTF-8 names with every kind of character JSON must escape: jq
    // decodes the path back to the very bytes.
    const std::vector<std::string> clean{
        "new\nline.pid", "quote\"back\\slash.pid", "tab\tcr\r.pid", "ctl\x01\x1f\x7f.pid", "c1\xc2\x85.pid",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80.pid", "{\"path\":\"x\"}.pid", "line\xe2\x80\xa8sep.pid",
    };
    // Not UTF-8: a stray continuation byte, an overlong '/', a surrogate, a
    // truncated sequence, bytes no UTF-8 has.
    const std::vector<std::string> raw{
        "cont\x80.pid", "overlong\xc0\xaf.pid", "surrogate\xed\xa0\x80.pid", "cut\xe2\x82.pid", "ff\xff\xfe.pid",
    };
    std::vector<std::string> args{"status", "--json"};
    for (const auto& list : {clean, raw})
        for (const auto& name : list) {
            const auto file = path(name);
            std::ofstream(file, std::ios::binary) << dead_pid() << "\n"; // stale: unlocked, its process gone
            args.push_back(file.string());
        }
    // And one refused, whose reason names the path too.
    const auto refused = make_refused("evil\n\"\xff.pid");
    args.push_back(refused.string());

    const auto r = cli(args);
    EXPECT_EQ(r.status, 4) << r.err;
    const auto objs = objects(r.out);
    ASSERT_EQ(objs.size(), clean.size() + raw.size() + 1) << r.out;
    std::size_t i = 0;
    for (const auto& name : clean) {
        const auto& line = objs[i++];
        EXPECT_EQ(jq(line, ".path"), path(name).string()) << line;
        EXPECT_EQ(jq(line, ".path_bytes"), "null") << line;
        EXPECT_EQ(jq(line, ".state"), "stale") << line;
    }
    for (const auto& name : raw) {
        const auto& line = objs[i++];
        const std::string full = path(name).string();
        // Each byte that is not UTF-8 reads as U+FFFD; path_bytes has them all.
        EXPECT_NE(jq(line, ".path").find("\xef\xbf\xbd.pid"), std::string::npos) << line;
        std::string hex;
        for (const char c : full) {
            char two[3];
            std::snprintf(two, sizeof two, "%02x", static_cast<unsigned char>(c));
            hex += two;
        }
        EXPECT_EQ(jq(line, ".path_bytes"), hex) << line;
        EXPECT_EQ(jq(line, ".state"), "stale") << line;
    }
    const auto& last = objs[i];
    EXPECT_EQ(jq(last, ".state"), "refused") << last;
    EXPECT_NE(jq(last, ".reason").find("evil\n\""), std::string::npos) << last;

    // Without --json: still one line per file, control characters shown as \xNN.
    std::vector<std::string> text_args{"status", path(clean[0]).string(), path(clean[3]).string(), refused.string()};
    const auto t = cli(text_args);
    EXPECT_EQ(t.status, 4) << t.err;
    EXPECT_EQ(lines(t.out), 3u) << t.out;
    EXPECT_NE(t.out.find("evil\\x0a\"\\xff.pid: unknown: refusing PID file '"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("/evil\\x0a\"\\xff.pid': its directory"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("new\\x0aline.pid: dead, stale PID file"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("ctl\\x01\\x1f\\x7f.pid: dead"), std::string::npos) << t.out;
}

TEST_F(CliStatusJson, ForeignOwnerIsRefusedAndNamed) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) GTEST_SKIP() << "no user 'nobody'";
    const uid_t uid = nobody->pw_uid;
    const std::string name = nobody->pw_name;
    const auto file = path("foreign.pid");
    std::ofstream(file) << ::getpid() << "\n";
    ASSERT_EQ(::chown(file.c_str(), uid, static_cast<gid_t>(-1)), 0);
    const auto r = cli({"status", "--json", file.string()});
    EXPECT_EQ(r.status, 4) << r.out << r.err;
    const auto objs = objects(r.out);
    ASSERT_EQ(objs.size(), 1u);
    EXPECT_EQ(jq(objs[0], ".state"), "refused");
    EXPECT_NE(jq(objs[0], ".reason").find(name), std::string::npos) << objs[0];
    EXPECT_EQ(jq(objs[0], ".owner.uid"), std::to_string(uid));
    EXPECT_EQ(jq(objs[0], ".owner.user"), name);
}

TEST_F(CliStatusJson, UnlockedFileOfALiveProcessIsRunningUnverifiedOrUnknownWhenStrict) {
    // What start-stop-daemon --make-pidfile leaves: no lock, a live process
    // that started before the file was written (this test process).
    const auto file = path("ssd.pid");
    std::ofstream(file) << ::getpid() << "\n";
    auto r = cli({"status", "--json", file.string()});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    auto objs = objects(r.out);
    ASSERT_EQ(objs.size(), 1u);
    EXPECT_EQ(jq(objs[0], "[.state, .verified, .lock, .pid]"), "[\"running\",false,\"none\"," +
                                                                    std::to_string(::getpid()) + "]");
    EXPECT_NE(jq(objs[0], ".reason").find("not locked"), std::string::npos) << objs[0];
    r = cli({"status", "--json", "--strict", file.string()});
    EXPECT_EQ(r.status, 4) << r.out << r.err;
    objs = objects(r.out);
    ASSERT_EQ(objs.size(), 1u);
    EXPECT_EQ(jq(objs[0], "[.state, .status, .verified, .lock]"), "[\"unknown\",4,false,\"none\"]");
}

// A status that never reached its reader is unknown, whatever the daemon's
// state: exit 4 and one line, not "running" with nothing written.
TEST_F(CliStatusJson, AStatusThatCannotBeWrittenIsUnknown) {
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    for (const std::string& form : {std::string("--json"), std::string("--strict")}) {
        const auto r = run({"/bin/sh", "-c", "exec \"$0\" status \"$1\" \"$2\" >/dev/full", DAEMONIKER_CLI, form,
                            pid_file().string()});
        EXPECT_EQ(r.status, 4) << form << r.err;
        EXPECT_EQ(r.err, "daemoniker: status: cannot write the status to standard output: No space left on device\n")
            << form;
    }
    const auto listed = run({"/bin/sh", "-c", "exec \"$0\" --list-signals >/dev/full", DAEMONIKER_CLI});
    EXPECT_EQ(listed.status, 1) << listed.err;
    EXPECT_EQ(listed.err, "daemoniker: cannot write to standard output: No space left on device\n");
    EXPECT_EQ(cli({"status", pid_file().string()}).status, 0); // it was running all along
}

} // namespace
} // namespace test
