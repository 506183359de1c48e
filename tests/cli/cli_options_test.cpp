// start's process settings on real programs: --nice, --iosched, --rlimit,
// --core/--no-core, --env-file and --chroot, each read back from the running
// program through /proc (limits, stat, environ, root, cwd) or ioprio_get.

#include "cli_support.hpp"

#include <fstream>
#include <iterator>
#include <sstream>
#include <sys/syscall.h>

namespace test {
namespace {

class CliOptions : public Cli {
protected:
    // `start` (not waiting for readiness) of `prog args` with `options`;
    // expects success and returns the program's PID.
    pid_t start_with(const std::vector<std::string>& options, const std::vector<std::string>& command = {}) {
        std::vector<std::string> args{"start", "--pid-file", pid_file().string()};
        args.insert(args.end(), options.begin(), options.end());
        args.push_back("--");
        if (command.empty()) args.insert(args.end(), {program(), "never-ready"});
        else args.insert(args.end(), command.begin(), command.end());
        const auto r = cli(args);
        EXPECT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(r.err, "");
        const pid_t pid = r.status == 0 ? pid_in(pid_file()) : -1;
        if (pid > 0) record(pid);
        return pid;
    }
    // A start that is refused: the exit status and the one line on stderr.
    Result refused(const std::vector<std::string>& options, const std::vector<std::string>& env = {},
                   const char* binary = DAEMONIKER_CLI) {
        std::vector<std::string> args{"start", "--pid-file", pid_file().string()};
        args.insert(args.end(), options.begin(), options.end());
        args.insert(args.end(), {"--", program(), "never-ready"});
        auto r = cli(args, env, 30s, binary);
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_FALSE(exists(pid_file()));
        return r;
    }
    void stop_program(pid_t pid) {
        const auto r = cli({"stop", pid_file().string()});
        EXPECT_EQ(r.status, 0) << r.err;
        reaped(pid);
    }
    static std::string proc(pid_t pid, const std::string& what) {
        return slurp("/proc/" + std::to_string(pid) + "/" + what);
    }
    // "soft hard" of one line of /proc/PID/limits ("Max open files", ...).
    static std::string limit(pid_t pid, const std::string& name) {
        std::istringstream in(proc(pid, "limits"));
        std::string line;
        while (std::getline(in, line))
            if (line.rfind(name, 0) == 0) {
                std::istringstream fields(line.substr(name.size()));
                std::string soft, hard;
                fields >> soft >> hard;
                return soft + " " + hard;
            }
        return "(none)";
    }
    static std::map<std::string, std::string> environ_of(pid_t pid) {
        std::map<std::string, std::string> env;
        const auto text = proc(pid, "environ");
        for (std::size_t pos = 0; pos < text.size();) {
            auto end = text.find('\0', pos);
            if (end == std::string::npos) end = text.size();
            const auto entry = text.substr(pos, end - pos);
            const auto eq = entry.find('=');
            if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
            pos = end + 1;
        }
        return env;
    }
    static std::string link_of(pid_t pid, const std::string& what) {
        std::error_code ec;
        return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/" + what, ec).string();
    }
};

TEST_F(CliOptions, RlimitsApplyToTheProgram) {
    const pid_t pid = start_with({"--rlimit", "nofile=1000:2000", "--rlimit", "cpu=3600", "--rlimit",
                                  "fsize=unlimited", "--rlimit", "stack=infinity:infinity"});
    ASSERT_GT(pid, 0);
    EXPECT_EQ(limit(pid, "Max open files"), "1000 2000");
    EXPECT_EQ(limit(pid, "Max cpu time"), "3600 3600"); // one value sets both
    EXPECT_EQ(limit(pid, "Max file size"), "unlimited unlimited");
    EXPECT_EQ(limit(pid, "Max stack size"), "unlimited unlimited");
    stop_program(pid);
}

TEST_F(CliOptions, NiceValueIsTheProgramsOwn) {
    const pid_t pid = start_with({"--nice", "7"});
    ASSERT_GT(pid, 0);
    // stat's fields after the command name: state is the 3rd, nice the 19th.
    const auto stat = proc(pid, "stat");
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
    ASSERT_GT(f.size(), 16u) << stat;
    EXPECT_EQ(f[16], "7");
    stop_program(pid);
}

#if defined(SYS_ioprio_get) && !defined(DAEMONIKER_PORTABLE_POSIX)
TEST_F(CliOptions, IoSchedulingClassIsTheProgramsOwn) {
    auto ioprio = [](pid_t pid) { return ::syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, pid); };
    pid_t pid = start_with({"--iosched", "best-effort:2"});
    ASSERT_GT(pid, 0);
    EXPECT_EQ(ioprio(pid), (2 << 13) | 2);
    stop_program(pid);
    pid = start_with({"--iosched", "idle"});
    ASSERT_GT(pid, 0);
    EXPECT_EQ(ioprio(pid), 3 << 13);
    stop_program(pid);
}
#else
TEST_F(CliOptions, IoSchedulingClassIsRefusedWhereThereIsNone) {
    const auto r = refused({"--iosched", "idle"});
    EXPECT_EQ(r.status, 64);
    EXPECT_EQ(r.err, "daemoniker: start: --iosched: I/O scheduling classes are not supported on this system (see 'daemoniker start --help')\n");
}
#endif

TEST_F(CliOptions, CoreDumpsOffAndOn) {
    pid_t pid = start_with({"--no-core"});
    ASSERT_GT(pid, 0);
    EXPECT_EQ(limit(pid, "Max core file size"), "0 0");
    stop_program(pid);
    if (::geteuid() != 0) return; // raising the hard limit needs root
    pid = start_with({"--rlimit", "nofile=1024", "--core"});
    ASSERT_GT(pid, 0);
#ifndef DAEMONIKER_TEST_SANITIZED
    EXPECT_EQ(limit(pid, "Max core file size"), "unlimited unlimited");
#else
    // The sanitizer runtime of the test program sets its own soft limit to 0
    // as it starts (ASan's disable_coredump); the hard limit shows ours.
    EXPECT_EQ(limit(pid, "Max core file size").substr(limit(pid, "Max core file size").find(' ') + 1), "unlimited");
#endif
    stop_program(pid);
}

TEST_F(CliOptions, EnvFileFollowsSystemdsRules) {
    const auto file = path("app.env");
    std::ofstream(file) << "# a comment\n"
                           "; another\n"
                           "PLAIN=value with  inner  spaces   \n"
                           "  SPACED  =  padded\n"
                           "SINGLE='it''s $HOME \\n'\n"
                           "DOUBLE=\"say \\\"hi\\\" \\$x \\q\"\n"
                           "CONT=one \\\n"
                           "two\n"
                           "MULTI=\"line1\n"
                           "line2\"\n"
                           "ESCAPED=a\\ b\\\\c\n"
                           "no equals sign here\n"
                           "EMPTY=\n"
                           "OVERRIDDEN=from the file\n"
                           "DAEMONIKER_X=file";
    const pid_t pid = start_with({"--env-file", file.string(), "--env-file", "-" + path("missing.env").string(),
                                  "--env", "OVERRIDDEN=from --env"});
    ASSERT_GT(pid, 0);
    const auto env = environ_of(pid);
    EXPECT_EQ(env.at("PLAIN"), "value with  inner  spaces");
    EXPECT_EQ(env.at("SPACED"), "padded");
    EXPECT_EQ(env.at("SINGLE"), "its $HOME \\n");
    EXPECT_EQ(env.at("DOUBLE"), "say \"hi\" $x \\q");
    EXPECT_EQ(env.at("CONT"), "one two");
    EXPECT_EQ(env.at("MULTI"), "line1\nline2");
    EXPECT_EQ(env.at("ESCAPED"), "a b\\c");
    EXPECT_EQ(env.at("EMPTY"), "");
    EXPECT_EQ(env.at("OVERRIDDEN"), "from --env");
    EXPECT_EQ(env.at("DAEMONIKER_X"), "file");
    EXPECT_EQ(env.count("no equals sign here"), 0u);
    EXPECT_EQ(env.count("PATH"), 1u); // the file adds to our environment
    stop_program(pid);
}

TEST_F(CliOptions, BadEnvFileIsRefusedWithFileAndLine) {
    const auto file = path("bad.env");
    std::ofstream(file) << "GOOD=1\n\n1BAD=2\n";
    auto r = refused({"--env-file", file.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "daemoniker: start: --env-file: " + file.string() +
                         ":3: '1BAD' is not a variable name (letters, digits, '_'; no digit first)\n");
    std::ofstream(file) << "A=1\nB=\"never closed\n";
    r = refused({"--env-file", file.string()});
    EXPECT_EQ(r.err, "daemoniker: start: --env-file: " + file.string() + ":2: the quote of 'B''s value is never closed\n");
    r = refused({"--env-file", path("missing.env").string()});
    EXPECT_EQ(r.err, "daemoniker: start: --env-file: cannot read '" + path("missing.env").string() +
                         "': No such file or directory\n");
}

TEST_F(CliOptions, BadSettingsAreRefusedBeforeAnythingStarts) {
    auto r = refused({"--nice", "20"});
    EXPECT_EQ(r.status, 64);
    EXPECT_EQ(r.err, "daemoniker: start: --nice: '20' is not a nice value from -20 to 19 (see 'daemoniker start --help')\n");
    r = refused({"--rlimit", "files=10"});
    EXPECT_EQ(r.status, 64);
    EXPECT_NE(r.err.find("--rlimit: 'files' is not a resource of this system (as, core, "), std::string::npos) << r.err;
    r = refused({"--rlimit", "nofile=20:10"});
    EXPECT_EQ(r.err, "daemoniker: start: --rlimit: 'nofile=20:10': the soft limit is above the hard one (see 'daemoniker start --help')\n");
    r = refused({"--rlimit", "nofile=lots"});
    EXPECT_EQ(r.err, "daemoniker: start: --rlimit: 'nofile=lots': a limit is a number, 'unlimited' or 'infinity' (see 'daemoniker start --help')\n");
    r = refused({"--rlimit", "core=0", "--no-core"});
    EXPECT_EQ(r.err, "daemoniker: start: --rlimit core=0: give either it or --core/--no-core (see 'daemoniker start --help')\n");
}

TEST_F(CliOptions, LimitTheSystemRefusesIsNamed) {
    // Above fs.nr_open even root cannot raise the descriptor limit.
    const auto r = refused({"--rlimit", "nofile=4000000000"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "daemoniker: start: cannot start program: set limits: resource limit nofile=4000000000: "
                     "Operation not permitted\n");
}

TEST_F(CliOptions, InjectedLimitFailureIsNamed) {
    const auto r = refused({"--nice", "5"}, {"DAEMONIKER_TEST_FAIL=limits"}, DAEMONIKER_CLI_TESTING);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "daemoniker: start: cannot start program: set limits: nice value 5: Input/output error\n");
}

TEST_F(CliOptions, ChrootRunsTheProgramInsideWithItsFilesOpenedBefore) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (chroot)";
    if (std::string(DAEMONIKER_STATIC_PROGRAM).empty()) GTEST_SKIP() << "no statically linked program on this system";
    const auto jail = path("jail");
    std::filesystem::create_directories(jail / "bin");
    std::filesystem::create_directories(jail / "work");
    std::filesystem::copy_file(DAEMONIKER_STATIC_PROGRAM, jail / "bin" / "prog");
    const auto err = path("err.log"); // outside the new root
    const pid_t pid = start_with({"--chroot", jail.string(), "--chdir", "/work", "--stderr", err.string()},
                                 {"/bin/prog"});
    ASSERT_GT(pid, 0);
    EXPECT_EQ(link_of(pid, "root"), jail.string());
    EXPECT_EQ(link_of(pid, "cwd"), (jail / "work").string());
    EXPECT_EQ(link_of(pid, "fd/2"), err.string());
    EXPECT_TRUE(lock_held(pid_file())); // the keeper, outside, holds it
    stop_program(pid);
    EXPECT_FALSE(exists(pid_file()));

    // The program is looked for on PATH inside the new root.
    const pid_t found = start_with({"--chroot", jail.string()}, {"prog"});
    ASSERT_GT(found, 0);
    EXPECT_EQ(link_of(found, "root"), jail.string());
    stop_program(found);
    auto r = cli({"start", "--pid-file", pid_file().string(), "--chroot", jail.string(), "--", "absent"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("'absent' was not found on PATH ("), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(") inside '" + jail.string() + "'"), std::string::npos) << r.err;
    r = cli({"start", "--pid-file", pid_file().string(), "--chroot", jail.string(), "--", "bin/prog"});
    EXPECT_EQ(r.status, 64);
    EXPECT_EQ(r.err, "daemoniker: start: with --chroot the program's path must be absolute inside the new root: "
                     "'bin/prog' (see 'daemoniker start --help')\n");
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(CliOptions, ChrootThatFailsIsNamed) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (chroot)";
    const auto jail = path("empty-jail");
    std::filesystem::create_directories(jail);
    const auto r = cli({"start", "--pid-file", pid_file().string(), "--chroot", jail.string(), "--", "/bin/prog"});
    EXPECT_EQ(r.status, 1);
    // Nothing inside: the program cannot be executed there.
    EXPECT_EQ(r.err, "daemoniker: start: cannot start program: execute '/bin/prog': No such file or directory\n");
    const auto missing = path("missing");
    const auto m = cli({"start", "--pid-file", pid_file().string(), "--chroot", missing.string(), "--", "/bin/prog"});
    EXPECT_EQ(m.status, 1);
    EXPECT_EQ(m.err, "daemoniker: start: cannot start daemon: chroot '" + missing.string() +
                         "': No such file or directory\n");
    EXPECT_FALSE(exists(pid_file()));
}

} // namespace
} // namespace test
