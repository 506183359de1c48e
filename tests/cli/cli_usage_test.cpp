// The command's usage errors, tried as a new user would: each exits with 64
// and one line that names what the user typed wrong — the command, option or
// argument, and the command's own flags rather than the library's option
// names (--keep-fd, not shielded_fds).

#include "cli_support.hpp"

namespace test {
namespace {

class CliUsage : public Cli {
protected:
    /// Runs the command, expects a usage error and returns its one line.
    std::string usage_error(const std::vector<std::string>& args) { return usage_error_of(cli(args), args); }

    /// Runs the command with descriptor 3 closed and the current directory
    /// `cwd` (which the shell removes first when `remove_cwd`).
    std::string usage_error_in(const std::filesystem::path& cwd, bool remove_cwd,
                               const std::vector<std::string>& args) {
        const std::string script =
            std::string("exec 3<&- && cd \"$0\" && ") + (remove_cwd ? "rmdir \"$0\" && " : "") + "exec \"$@\"";
        std::vector<std::string> argv{"/bin/sh", "-c", script, cwd.string(), DAEMONIKER_CLI};
        argv.insert(argv.end(), args.begin(), args.end());
        return usage_error_of(run(argv), args);
    }

    static std::string usage_error_of(const Result& r, const std::vector<std::string>& args) {
        std::string line;
        for (const auto& a : args) line += "'" + a + "' ";
        EXPECT_EQ(r.status, 64) << line << "\n" << r.err;
        EXPECT_EQ(lines(r.err), 1u) << line << "\n" << r.err;
        EXPECT_EQ(r.out, "") << line;
        EXPECT_NE(r.err.find(" (see 'daemoniker"), std::string::npos) << line << "\n" << r.err;
        return r.err;
    }

    static bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
};

const std::vector<std::string> commands{"start", "stop", "status", "send", "restart"};

// ---- the command ---------------------------------------------------------------

// Was "A subcommand is required (see 'daemoniker --help')" for all of these.
TEST_F(CliUsage, AnUnknownCommandIsNamedWithTheCommandsAndTheNearestOne) {
    auto err = usage_error({"bogus"});
    EXPECT_EQ(err.rfind("daemoniker: 'bogus' is not a command; the commands are ", 0), 0u) << err;
    for (const auto& c : commands) EXPECT_TRUE(has(err, c)) << c << "\n" << err;
    EXPECT_FALSE(has(err, "did you mean")) << err;

    const std::vector<std::pair<std::string, std::string>> near{
        {"stat", "status"}, {"sned", "send"}, {"STOP", "stop"}, {"strat", "start"}, {"restat", "restart"}};
    for (const auto& [typed, meant] : near) {
        err = usage_error({typed, pid_file().string()});
        EXPECT_EQ(err.rfind("daemoniker: '" + typed + "' is not a command (did you mean '" + meant + "'?)", 0), 0u)
            << err;
    }

    err = usage_error({});
    EXPECT_EQ(err.rfind("daemoniker: no command given; the commands are start, stop, status, send, restart", 0), 0u)
        << err;
}

// Windows services are Windows's; here the line points at the systemd units.
TEST_F(CliUsage, ServiceIsRefusedWithOneLinePointingAtSystemdUnits) {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"service"}, {"service", "install", "app", "--", "/bin/true"}, {"service", "status", "app"},
             {"service", "--bogus"}}) {
        const auto r = cli(args);
        EXPECT_EQ(r.status, 64) << r.err;
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(lines(r.err), 1u) << r.err;
        EXPECT_EQ(r.err.rfind("daemoniker: service: Windows services only", 0), 0u) << r.err;
        EXPECT_TRUE(has(r.err, "docs/cli.md, section \"systemd\"")) << r.err;
    }
}

TEST_F(CliUsage, AnUnknownOptionBeforeTheCommandIsNamed) {
    auto err = usage_error({"--bogus"});
    EXPECT_EQ(err.rfind("daemoniker: unknown option '--bogus': a command comes first, then its options", 0), 0u)
        << err;
    err = usage_error({"--verison"});
    EXPECT_EQ(err.rfind("daemoniker: unknown option '--verison'; did you mean '--version'?", 0), 0u) << err;
}

// ---- unknown options, missing and extra arguments --------------------------------

// Alone, an unknown option was reported as the required argument it left
// missing: "start: --pid-file is required", "stop: pidfile is required".
TEST_F(CliUsage, AnUnknownOptionOfEachCommandIsNamed) {
    for (const auto& c : commands) {
        const auto err = usage_error({c, "--bogus"});
        EXPECT_EQ(err, "daemoniker: " + c + ": unknown option '--bogus' (see 'daemoniker " + c + " --help')\n");
    }
    const auto pid = pid_file().string();
    const std::vector<std::pair<std::vector<std::string>, std::string>> near{
        {{"start", "--pidfile", pid, "--", program()}, "start: unknown option '--pidfile'; did you mean '--pid-file'?"},
        {{"restart", "--keepfd=4", "--pid-file", pid, "--", program()},
         "restart: unknown option '--keepfd'; did you mean '--keep-fd'?"},
        {{"stop", pid, "--retyr", "5"}, "stop: unknown option '--retyr'; did you mean '--retry'?"},
        {{"status", "--strcit", pid}, "status: unknown option '--strcit'; did you mean '--strict'?"},
        {{"send", "-x", pid, "HUP"}, "send: unknown option '-x' (see"},
    };
    for (const auto& [args, expected] : near) {
        const auto err = usage_error(args);
        EXPECT_EQ(err.rfind("daemoniker: " + expected, 0), 0u) << err;
    }
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(CliUsage, EveryUsageErrorIsOneLineNamingTheArgument) {
    const auto pid = pid_file().string();
    const auto prog = program();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        // missing arguments
        {{"start", "--", prog}, "start: --pid-file is required"},
        {{"start", "--pid-file", pid}, "start: program is required"},
        {{"start", "--pid-file"}, "start: --pid-file: "},
        {{"stop"}, "stop: pidfile is required"},
        {{"stop", pid, "--signal"}, "stop: --signal: "},
        {{"status"}, "status: pidfile is required"},
        {{"send", pid}, "send: signal is required"},
        {{"restart", "--", prog}, "restart: --pid-file is required"},
        // extra arguments (were "The following argument was not expected: ...")
        {{"stop", pid, "extra"}, "stop: unexpected argument 'extra'"},
        {{"status", "--json", pid, "--bogus"}, "status: unknown option '--bogus'"},
        {{"send", pid, "HUP", "extra"}, "send: unexpected argument 'extra'"},
        // bad values
        {{"send", pid, "BOGUS"}, "send: 'BOGUS' is not a signal"},
        {{"stop", pid, "--signal", "BOGUS"}, "stop: --signal: 'BOGUS' is not a signal"},
        {{"restart", "--signal", "BOGUS", "--pid-file", pid, "--", prog}, "restart: --signal: 'BOGUS' is not a signal"},
        {{"stop", pid, "--retry", "soon"}, "stop: --retry: 'soon' is neither seconds nor a schedule"},
        {{"stop", pid, "--retry", "TERM/x"}, "stop: --retry: 'x' is not a signal"},
        {{"restart", "--retry", "soon", "--pid-file", pid, "--", prog}, "restart: --retry: 'soon'"},
        {{"start", "--pid-file", pid, "--umask", "999", "--", prog}, "start: --umask: '999' is not an octal mask"},
        {{"start", "--pid-file", pid, "--umask", "01000", "--", prog}, "start: --umask: '01000'"},
        {{"start", "--pid-file", pid, "--timeout", "0", "--", prog}, "start: --timeout: '0' is not a positive number"},
        {{"start", "--pid-file", pid, "--timeout", "soon", "--", prog}, "start: --timeout: 'soon'"},
        {{"start", "--pid-file", pid, "--keep-fd", "-1", "--", prog}, "start: --keep-fd: -1 is not a descriptor"},
        {{"start", "--pid-file", pid, "--keep-fd", "x", "--", prog}, "start: Could not convert: --keep-fd = x"},
        {{"start", "--pid-file", pid, "--env", "NOEQUALS", "--", prog}, "start: --env: 'NOEQUALS' is not NAME=value"},
        {{"start", "--pid-file", pid, "--user", "no-such-user-here", "--", prog},
         "start: --user: no such user 'no-such-user-here'"},
        {{"start", "--pid-file", pid, "--group", "no-such-group-here", "--", prog},
         "start: --group: no such group 'no-such-group-here'"},
        {{"restart", "--pid-file", pid, "--user", "no-such-user-here", "--", prog},
         "restart: --user: no such user 'no-such-user-here'"},
    };
    for (const auto& [args, expected] : cases) {
        const auto err = usage_error(args);
        EXPECT_EQ(err.rfind("daemoniker: " + expected, 0), 0u) << err;
    }
    EXPECT_FALSE(exists(pid_file()));
}

// ---- the PID file argument -----------------------------------------------------

// Was status 4 for status and stop ("cannot read PID file '': Invalid
// argument") and 4 for send: no file has an empty name.
TEST_F(CliUsage, AnEmptyPidFileArgumentIsAUsageError) {
    const std::vector<std::vector<std::string>> cases{
        {"status", ""}, {"status", "a.pid", ""}, {"stop", ""}, {"send", "", "TERM"}, {"send", "", "BOGUS"}};
    for (const auto& args : cases) {
        const auto err = usage_error(args);
        EXPECT_EQ(err, "daemoniker: " + args[0] + ": pidfile: the path is empty (see 'daemoniker " + args[0] +
                           " --help')\n");
    }
}

// "--stdout=" (a script's --stdout="$LOG" with LOG empty) was read as
// "--stdout" with the next argument as its value: the program's output went
// to the file named by what came next (the program, here).
TEST_F(CliUsage, AnEmptyValueAfterTheEqualsSignIsAnEmptyValue) {
    const auto target = path("target");
    for (const std::string command : {"start", "restart"}) {
        const auto err = usage_error({command, "-p", pid_file().string(), "--stdout=", target.string(), "x"});
        EXPECT_EQ(err, "daemoniker: " + command + ": --stdout: the path is empty (see 'daemoniker " + command +
                           " --help')\n");
        EXPECT_FALSE(std::filesystem::exists(target));
        EXPECT_FALSE(std::filesystem::exists(pid_file()));
    }
    const auto err = usage_error({"stop", pid_file().string(), "--signal=", "TERM"});
    EXPECT_TRUE(has(err, "daemoniker: stop: ")) << err;
    EXPECT_FALSE(has(err, std::string(1, '\0'))) << err;
}

// An argument in brackets is kept whole (parse_verbatim); where it is
// refused, the message names it as it was typed.
TEST_F(CliUsage, AnArgumentInBracketsIsNamedAsTyped) {
    auto err = usage_error({"x[1]"});
    EXPECT_EQ(err.rfind("daemoniker: 'x[1]' is not a command; ", 0), 0u) << err;
    err = usage_error({"stop", pid_file().string(), "[a,b]"});
    EXPECT_EQ(err, "daemoniker: stop: unexpected argument '[a,b]' (see 'daemoniker stop --help')\n");
    err = usage_error({"start", "-p", pid_file().string(), "--keep-fd", "[3]", "--", "x"});
    EXPECT_TRUE(has(err, "[3]")) << err;
    EXPECT_FALSE(has(err, std::string(1, '\0'))) << err;
}

// ---- the library's errors, in the command's words -------------------------------

// Was "start: shielded_fds: descriptor 3 is not open": the user typed --keep-fd.
TEST_F(CliUsage, ADescriptorThatIsNotOpenNamesKeepFd) {
    for (const char* command : {"start", "restart"}) {
        const auto pid = pid_file().string();
        const auto err = usage_error_in(dir_, false, {command, "--keep-fd", "3", "--pid-file", pid, "--", program()});
        EXPECT_EQ(err, std::string("daemoniker: ") + command +
                           ": --keep-fd: descriptor 3 is not open (see 'daemoniker " + command + " --help')\n");
        EXPECT_FALSE(exists(pid_file()));
    }
}

// Restart refuses what start would, before it stops anything. A --keep-fd
// that is not open, or a path that cannot be made absolute, used to stop the
// daemon first and then fail, leaving the service down.
TEST_F(CliUsage, RestartRefusesWhatTheLibraryWouldBeforeItStopsAnything) {
    const auto pid = pid_file().string();
    auto r = cli({"start", "--pid-file", pid, "--", program(), "never-ready"});
    ASSERT_EQ(r.status, 0) << r.err;
    const pid_t daemon = pid_in(pid_file());
    ASSERT_GT(daemon, 0);
    record(daemon);
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"restart", "--pid-file", pid, "--chdir", "/", "--keep-fd", "3", "--", program(), "never-ready"},
         "restart: --keep-fd: descriptor 3 is not open"},
        {{"restart", "--pid-file", pid, "--chdir", "/", "--stdout", "out", "--", program(), "never-ready"},
         "restart: --stdout 'out': cannot be made absolute"},
    };
    for (const auto& [args, expected] : cases) {
        const auto gone = path("gone");
        std::filesystem::create_directory(gone);
        const auto err = usage_error_in(gone, true, args);
        EXPECT_EQ(err.rfind("daemoniker: " + expected, 0), 0u) << err;
        EXPECT_EQ(pid_in(pid_file()), daemon);
        EXPECT_TRUE(lock_held(pid_file()));
    }
    EXPECT_EQ(cli({"stop", pid}).status, 0);
    reaped(daemon);
}

// The library's OptionError messages begin with the name of an Options
// member ("stdout_goto", "chdir", "PID file"); the command's name the flag.
TEST_F(CliUsage, TheLibrarysOptionErrorsNameTheCommandsFlags) {
    std::filesystem::create_directory(path("dir"));
    std::string err;
    for (const char* command : {"start", "restart"}) {
        err = usage_error({command, "--pid-file", path("dir").string() + "/", "--", program()});
        EXPECT_EQ(err.rfind(std::string("daemoniker: ") + command + ": --pid-file '" + path("dir").string() +
                                "/': names a directory",
                            0),
                  0u)
            << err;
    }

    // Relative paths cannot be made absolute where the current directory is gone.
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"start", "--pid-file", "d.pid", "--", program()}, "start: --pid-file 'd.pid': cannot be made absolute"},
        {{"restart", "--pid-file", "d.pid", "--", program()}, "restart: --pid-file 'd.pid': cannot be made absolute"},
        {{"start", "--pid-file", pid_file().string(), "--", program()},
         "start: --chdir: the current directory cannot be determined"},
        {{"start", "--pid-file", pid_file().string(), "--chdir", "/", "--stdin", "in", "--", program()},
         "start: --stdin 'in': cannot be made absolute"},
        {{"start", "--pid-file", pid_file().string(), "--chdir", "/", "--stdout", "out", "--", program()},
         "start: --stdout 'out': cannot be made absolute"},
        {{"start", "--pid-file", pid_file().string(), "--chdir", "/", "--stderr", "err", "--", program()},
         "start: --stderr 'err': cannot be made absolute"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto gone = path("gone" + std::to_string(i));
        std::filesystem::create_directory(gone);
        err = usage_error_in(gone, true, cases[i].first);
        EXPECT_EQ(err.rfind("daemoniker: " + cases[i].second, 0), 0u) << err;
        for (const char* member : {"_goto", "shielded_fds", "success_timeout", ": chdir", "umask", "PID file"})
            EXPECT_FALSE(has(err, member)) << member << "\n" << err;
    }
    EXPECT_FALSE(exists(pid_file()));
}

} // namespace
} // namespace test
