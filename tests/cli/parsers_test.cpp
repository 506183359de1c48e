// The command's parsers: sd_notify datagrams, stop schedules, signal names,
// seconds, --env-file's files, --nice, --rlimit and --iosched, and start's
// command line read without CLI11.

#include "common.hpp"
#include "env_file.hpp"
#include "json.hpp"
#include "limits.hpp"
#include "notify_message.hpp"
#include "schedule.hpp"
#include "signal_names.hpp"
#include "start_line.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <functional>
#include <sys/resource.h>
#include <gtest/gtest.h>

#include <csignal>

namespace {

using namespace daemoniker::cli;
using namespace std::chrono_literals;

// The exact text of JSON strings (status --json); tests/cli/cli_status_json_test.cpp
// has jq parse them.
TEST(JsonString, EscapesWhatJsonAndTerminalsNeedAndKeepsOtherUtf8) {
    EXPECT_EQ(json_string(""), "\"\"");
    EXPECT_EQ(json_string("/run/app.pid"), "\"/run/app.pid\"");
    EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(json_string("\n\t\r"), "\"\\n\\t\\r\"");
    EXPECT_EQ(json_string(std::string("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\\u007f\"");
    EXPECT_EQ(json_string("\xc2\x85\xc2\x9f"), "\"\\u0085\\u009f\""); // C1 controls
    EXPECT_EQ(json_string("\xc2\xa0" "caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"\xc2\xa0" "caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    // Not UTF-8: one U+FFFD per byte that is not part of a valid sequence.
    EXPECT_EQ(json_string("a\xff\xfe" "b"), "\"a\\ufffd\\ufffdb\"");
    EXPECT_EQ(json_string("\xc0\xaf"), "\"\\ufffd\\ufffd\"");         // overlong '/'
    EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""); // a surrogate
    EXPECT_EQ(json_string("\xe2\x82"), "\"\\ufffd\\ufffd\"");         // truncated
    EXPECT_TRUE(is_utf8("caf\xc3\xa9"));
    EXPECT_FALSE(is_utf8("caf\xc3"));
    EXPECT_EQ(hex_bytes("/\xff"), "2fff");
}

TEST(NotifyParser, ReadsTheKnownFieldsAndKeepsAll) {
    const auto m = parse_notify("READY=1\nSTATUS=Serving on port 80\nMAINPID=4242\nX_CUSTOM=a=b\n");
    EXPECT_TRUE(m.valid);
    EXPECT_TRUE(m.ready);
    EXPECT_EQ(m.status, "Serving on port 80");
    EXPECT_EQ(m.main_pid, 4242);
    EXPECT_FALSE(m.error.has_value());
    ASSERT_EQ(m.fields.size(), 4u);
    EXPECT_EQ(m.fields[3], (std::pair<std::string, std::string>("X_CUSTOM", "a=b")));
    EXPECT_EQ(m.malformed, 0u);
}

TEST(NotifyParser, SingleAssignmentWithoutNewline) {
    EXPECT_TRUE(parse_notify("READY=1").ready);
    EXPECT_FALSE(parse_notify("READY=0").ready);
    EXPECT_FALSE(parse_notify("READY=10").ready);
    EXPECT_FALSE(parse_notify("READY=1 ").ready);
    EXPECT_TRUE(parse_notify("STOPPING=1").stopping);
    EXPECT_TRUE(parse_notify("RELOADING=1").reloading);
    EXPECT_TRUE(parse_notify("").fields.empty());
    EXPECT_TRUE(parse_notify("\n\n").fields.empty());
}

TEST(NotifyParser, LastValueOfARepeatedKeyCounts) {
    const auto m = parse_notify("STATUS=one\nREADY=1\nSTATUS=two\nREADY=0");
    EXPECT_EQ(m.status, "two");
    EXPECT_FALSE(m.ready);
    EXPECT_EQ(m.fields.size(), 4u);
}

TEST(NotifyParser, Errno) {
    EXPECT_EQ(parse_notify("ERRNO=2").error, 2);
    EXPECT_EQ(parse_notify("ERRNO=0").error, 0);
    EXPECT_EQ(parse_notify("ERRNO=2147483647").error, 2147483647);
    for (const char* bad : {"ERRNO=", "ERRNO=-1", "ERRNO=+2", "ERRNO= 2", "ERRNO=2x", "ERRNO=2147483648",
                            "ERRNO=99999999999999999999999"}) {
        const auto m = parse_notify(bad);
        EXPECT_FALSE(m.error.has_value()) << bad;
        EXPECT_EQ(m.malformed, 1u) << bad;
    }
}

TEST(NotifyParser, MainPid) {
    EXPECT_EQ(parse_notify("MAINPID=1").main_pid, 1);
    EXPECT_FALSE(parse_notify("MAINPID=0").main_pid.has_value());
    EXPECT_FALSE(parse_notify("MAINPID=2147483648").main_pid.has_value());
}

TEST(NotifyParser, MalformedLinesAreCountedAndSkipped) {
    const auto m = parse_notify("garbage\n=1\nready=1\nREA DY=1\nREADY=1\n");
    EXPECT_TRUE(m.ready);
    EXPECT_EQ(m.malformed, 4u);
    EXPECT_EQ(m.fields.size(), 1u);
}

TEST(NotifyParser, EmbeddedNulRefusesTheDatagram) {
    const auto m = parse_notify(std::string_view("READY=1\0STATUS=x", 16));
    EXPECT_FALSE(m.valid);
    EXPECT_FALSE(m.ready);
    EXPECT_TRUE(m.fields.empty());
}

TEST(NotifyParser, SurvivesEveryByte) {
    // A cheap stand-in for the fuzzer: every single byte, and every byte
    // around an '=' and a newline, parses without failing.
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        const std::string samples[] = {std::string(1, ch), std::string("A=") + ch, std::string(1, ch) + "=1\n",
                                       std::string("STATUS=") + ch + "\nREADY=1"};
        for (const auto& s : samples) {
            const auto m = parse_notify(s);
            if (ch != '\0' && s.rfind("STATUS=", 0) == 0) {
                EXPECT_TRUE(m.ready) << c;
            }
        }
    }
}

TEST(Schedule, DefaultIsSignalThirtyKillFive) {
    const auto s = default_schedule(SIGINT);
    EXPECT_EQ(to_string(s), "SIGINT/30/SIGKILL/5");
    EXPECT_FALSE(s.repeat_from.has_value());
}

TEST(Schedule, BareNumberIsSignalNKillN) {
    std::string error;
    const auto s = parse_schedule("7", SIGTERM, error);
    ASSERT_TRUE(s) << error;
    EXPECT_EQ(to_string(*s), "SIGTERM/7/SIGKILL/7");
    const auto f = parse_schedule("0.25", SIGHUP, error);
    ASSERT_TRUE(f) << error;
    EXPECT_EQ(to_string(*f), "SIGHUP/0.25/SIGKILL/0.25");
}

TEST(Schedule, ItemsAsStartStopDaemonWritesThem) {
    std::string error;
    auto s = parse_schedule("TERM/30/KILL/5", SIGTERM, error);
    ASSERT_TRUE(s) << error;
    ASSERT_EQ(s->items.size(), 4u);
    EXPECT_EQ(s->items[0].signal, SIGTERM);
    EXPECT_EQ(s->items[1].wait, 30s);
    EXPECT_EQ(s->items[2].signal, SIGKILL);
    EXPECT_EQ(s->items[3].wait, 5s);
    s = parse_schedule("-HUP/-15/1.5/sigkill/2", SIGTERM, error); // -NUMBER is a signal, NUMBER seconds
    ASSERT_TRUE(s) << error;
    EXPECT_EQ(to_string(*s), "SIGHUP/SIGTERM/1.5/SIGKILL/2");
    s = parse_schedule("TERM/10/forever/KILL/1", SIGTERM, error);
    ASSERT_TRUE(s) << error;
    EXPECT_EQ(s->repeat_from, 2u);
    EXPECT_EQ(to_string(*s), "SIGTERM/10/forever/SIGKILL/1");
}

TEST(Schedule, RefusesWhatCannotRun) {
    for (const char* bad : {"", "TERM", "x", "TERM/", "/5", "TERM//5", "TERM/5/forever", "forever/TERM",
                            "TERM/forever/5/forever/5", "5/5", "TERM/5s", "TERM/1e3", "NOPE/5",
                            "TERM/99999999999"}) {
        std::string error;
        EXPECT_FALSE(parse_schedule(bad, SIGTERM, error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
    }
}

TEST(SignalNames, NamesWithAndWithoutSigAnyCaseAndNumbers) {
    for (const char* name : {"TERM", "SIGTERM", "term", "sigterm", "SigTerm", "15"})
        EXPECT_EQ(parse_signal_name(name), SIGTERM) << name;
    EXPECT_EQ(parse_signal_name("0000000000000015"), SIGTERM); // as the library's parse_signal()
    EXPECT_EQ(parse_signal_name("KILL"), SIGKILL);
    EXPECT_EQ(parse_signal_name("9"), SIGKILL);
    EXPECT_EQ(parse_signal_name("HUP"), SIGHUP);
    EXPECT_EQ(parse_signal_name("usr2"), SIGUSR2);
    EXPECT_EQ(parse_signal_name("SIGCHLD"), SIGCHLD);
    EXPECT_EQ(parse_signal_name("WINCH"), SIGWINCH);
#ifdef SIGRTMIN
    EXPECT_EQ(parse_signal_name("RTMIN"), SIGRTMIN);
    EXPECT_EQ(parse_signal_name("SIGRTMIN+2"), SIGRTMIN + 2);
    EXPECT_EQ(parse_signal_name("rtmax-1"), SIGRTMAX - 1);
    EXPECT_FALSE(parse_signal_name("RTMIN+99"));
    EXPECT_FALSE(parse_signal_name("RTMIN-1"));
    EXPECT_FALSE(parse_signal_name("RTMAX+1"));
    EXPECT_FALSE(parse_signal_name("RTMIN+"));
#endif
    for (const char* bad : {"", "0", "SIG", "SIGSIGTERM", "TERM ", " TERM", "-15", "+15", "65", "99", "1000000000000",
                            "TERMINATE", "SIG15"})
        EXPECT_FALSE(parse_signal_name(bad)) << bad;
}

TEST(SignalNames, NumbersPrintAsNames) {
    EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
    EXPECT_EQ(signal_name(SIGABRT), "SIGABRT"); // not its alias SIGIOT
    EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
    EXPECT_EQ(signal_name(1000), "signal 1000");
}

TEST(Seconds, DecimalSecondsOnly) {
    EXPECT_EQ(parse_seconds("30"), 30s);
    EXPECT_EQ(parse_seconds("0"), 0ms);
    EXPECT_EQ(parse_seconds("0.5"), 500ms);
    EXPECT_EQ(parse_seconds("2.007"), 2007ms); // not 2008: binary floating point is off by a hair
    EXPECT_EQ(parse_seconds("2.0071"), 2008ms); // up to the next millisecond
    EXPECT_EQ(parse_seconds("2.0070000"), 2007ms);
    EXPECT_EQ(parse_seconds("0.0010000001"), 2ms); // a hair above 1 ms is not 1 ms
    EXPECT_EQ(parse_seconds("9999999.999"), 9999999999ms); // read as digits: no rounding at the top of the range
    EXPECT_EQ(parse_seconds("0009.5"), 9500ms);
    // The limit holds whatever the caller gives as one: no overflow past it.
    EXPECT_FALSE(parse_seconds("99999999999999999999", 1e300));
    EXPECT_EQ(parse_seconds("9200000000000000", 1e300), std::chrono::milliseconds(9200000000000000000));
    EXPECT_FALSE(parse_seconds("1", std::nan("")));
    EXPECT_EQ(parse_seconds(".5"), 500ms);
    EXPECT_EQ(parse_seconds("1."), 1000ms);
    EXPECT_EQ(parse_seconds("0.0001"), 1ms); // never rounded down to nothing
    for (const char* bad : {"", ".", "-1", "+1", "1e3", "inf", "nan", "1.2.3", " 1", "1s", "99999999999"})
        EXPECT_FALSE(parse_seconds(bad)) << bad;
}

TEST(Duration, HumanReadable) {
    EXPECT_EQ(format_duration(0.3), "0.3s");
    EXPECT_EQ(format_duration(42), "42s");
    EXPECT_EQ(format_duration(307), "5m 07s");
    EXPECT_EQ(format_duration(3723), "1h 02m 03s");
    EXPECT_EQ(format_duration(90061), "1d 01h 01m 01s");
}

} // namespace

namespace env_file_tests {

using daemoniker::cli::parse_env_file;
using Entries = std::vector<std::string>;

TEST(EnvFileParser, CommentsBlankLinesAndLinesWithoutEqualsAreSkipped) {
    EXPECT_EQ(parse_env_file("# c\n; c\n\n   \nno equals\nA=1\n  # indented comment\n", "f"), Entries{"A=1"});
    EXPECT_EQ(parse_env_file("", "f"), Entries{});
    EXPECT_EQ(parse_env_file("A=1", "f"), Entries{"A=1"}); // no final newline
    EXPECT_EQ(parse_env_file("# ends in a backslash \\\nA=1\n", "f"), Entries{"A=1"}); // as systemd >= 254
}

TEST(EnvFileParser, UnquotedValuesLoseOuterWhitespaceOnly) {
    EXPECT_EQ(parse_env_file("  KEY \t=  a  b \t\r\n", "f"), Entries{"KEY=a  b"});
    EXPECT_EQ(parse_env_file("A=\nB=   \n", "f"), (Entries{"A=", "B="}));
    EXPECT_EQ(parse_env_file("A=x\"y'z\n", "f"), Entries{"A=x\"y'z"}); // quotes inside are kept
    EXPECT_EQ(parse_env_file("A=b#c\n", "f"), Entries{"A=b#c"});       // no comments after a value
}

TEST(EnvFileParser, BackslashesInUnquotedValues) {
    EXPECT_EQ(parse_env_file("A=a\\ \\\\b\\$c\n", "f"), Entries{"A=a \\b$c"});
    EXPECT_EQ(parse_env_file("A=one\\\ntwo\nB=2\n", "f"), (Entries{"A=onetwo", "B=2"}));
    EXPECT_EQ(parse_env_file("A=trailing\\ \n", "f"), Entries{"A=trailing "}); // an escaped space stays
}

TEST(EnvFileParser, SingleQuotesAreVerbatim) {
    EXPECT_EQ(parse_env_file("A='x \\n \"y\" $z'\n", "f"), Entries{"A=x \\n \"y\" $z"});
    EXPECT_EQ(parse_env_file("A='two\nlines'\n", "f"), Entries{"A=two\nlines"});
    EXPECT_EQ(parse_env_file("A='  padded  '   \n", "f"), Entries{"A=  padded  "});
    EXPECT_EQ(parse_env_file("A='a'\"b\"\n", "f"), Entries{"A=ab"}); // adjacent quoted parts join
}

TEST(EnvFileParser, DoubleQuotesFollowTheShell) {
    EXPECT_EQ(parse_env_file(R"(A="\" \\ \` \$ \n \q")", "f"), Entries{R"(A=" \ ` $ \n \q)"});
    EXPECT_EQ(parse_env_file("A=\"one\\\ntwo\"\n", "f"), Entries{"A=onetwo"});
    EXPECT_EQ(parse_env_file("A=\"x\ny\"\nB=1\n", "f"), (Entries{"A=x\ny", "B=1"}));
}

TEST(EnvFileParser, ErrorsNameTheFileAndTheLine) {
    auto message = [](std::string_view text) {
        try {
            parse_env_file(text, "/etc/app.env");
        } catch (const Failure& e) {
            EXPECT_EQ(e.status(), exit_status::failed);
            return std::string(e.what());
        }
        return std::string("(accepted)");
    };
    EXPECT_EQ(message("A=1\n\nB C=2\n"),
              "--env-file: /etc/app.env:3: 'B C' is not a variable name (letters, digits, '_'; no digit first)");
    EXPECT_EQ(message("9A=1\n"),
              "--env-file: /etc/app.env:1: '9A' is not a variable name (letters, digits, '_'; no digit first)");
    EXPECT_EQ(message("A=1\nB='open\nstill\n"), "--env-file: /etc/app.env:2: the quote of 'B''s value is never closed");
    EXPECT_EQ(message("A=\"x\\"), "--env-file: /etc/app.env:1: the quote of 'A''s value is never closed");
    EXPECT_EQ(message(std::string_view("A=1\nB=x\0y\n", 10)), "--env-file: /etc/app.env:2: a NUL character");
    EXPECT_EQ(message("=1\n"),
              "--env-file: /etc/app.env:1: '' is not a variable name (letters, digits, '_'; no digit first)");
}

} // namespace env_file_tests

namespace limits_tests {

using namespace daemoniker::cli;

std::string refusal(const std::function<void()>& f) {
    try {
        f();
    } catch (const UsageError& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST(LimitsParser, Nice) {
    EXPECT_EQ(parse_nice("-20"), -20);
    EXPECT_EQ(parse_nice("19"), 19);
    EXPECT_EQ(parse_nice("0"), 0);
    for (const char* bad : {"20", "-21", "", "1.5", "5x", "+3"})
        EXPECT_NE(refusal([&] { parse_nice(bad); }), "(accepted)") << bad;
}

TEST(LimitsParser, Rlimit) {
    const auto l = parse_rlimit("nofile=1024:4096");
    EXPECT_EQ(l.resource, RLIMIT_NOFILE);
    EXPECT_EQ(l.soft, 1024u);
    EXPECT_EQ(l.hard, 4096u);
    const auto both = parse_rlimit("core=0");
    EXPECT_EQ(both.resource, RLIMIT_CORE);
    EXPECT_EQ(both.soft, 0u);
    EXPECT_EQ(both.hard, 0u);
    const auto inf = parse_rlimit("as=1000:unlimited");
    EXPECT_EQ(inf.hard, UINT64_MAX);
    EXPECT_EQ(parse_rlimit("cpu=infinity").soft, UINT64_MAX);
    for (const char* bad : {"nofile", "nofile=", "nofile=:5", "nofile=5:", "nofile=-1", "nofile=5:4", "bogus=1",
                            "nofile=1:2:3", "nofile=unlimited:5"})
        EXPECT_NE(refusal([&] { parse_rlimit(bad); }), "(accepted)") << bad;
}

#if DAEMONIKER_HAVE_IOPRIO
TEST(LimitsParser, Iosched) {
    auto p = parse_iosched("best-effort");
    EXPECT_EQ(p.io_class, 2);
    EXPECT_EQ(p.level, 4);
    p = parse_iosched("real-time:0");
    EXPECT_EQ(p.io_class, 1);
    EXPECT_EQ(p.level, 0);
    p = parse_iosched("idle");
    EXPECT_EQ(p.io_class, 3);
    EXPECT_EQ(parse_iosched("be:7").level, 7);
    for (const char* bad : {"fast", "best-effort:8", "best-effort:", "idle:3", "rt:-1", ""})
        EXPECT_NE(refusal([&] { parse_iosched(bad); }), "(accepted)") << bad;
}
#endif

} // namespace limits_tests

namespace {

std::string show(const std::vector<std::string>& args) {
    std::string out;
    for (const auto& a : args) out += "[" + a + "] ";
    return out;
}

// What the direct reader accepts, CLI11 reads the same way.
void expect_same_as_cli11(const std::vector<std::string>& args) {
    const auto direct = read_start_line(args);
    if (!direct) return;
    const auto cli11 = cli11_start_line(args);
    ASSERT_TRUE(cli11.has_value()) << "CLI11 refuses a line the direct reader accepts: " << show(args);
    EXPECT_TRUE(*direct == *cli11) << "the readers disagree on " << show(args);
}

} // namespace

TEST(StartLine, ReadsTheUsualFormsAsCli11Does) {
    const std::vector<std::vector<std::string>> lines{
        {"--pid-file", "/run/app.pid", "--", "/usr/bin/app", "--flag"},
        {"-p", "/run/app.pid", "/usr/bin/app", "-x", "--", "y"},
        {"--pid-file=/run/app.pid", "--stdout", "/var/log/app.log", "--stderr=/var/log/app.err", "--", "app"},
        {"--wait-ready", "--timeout", "5.5", "--pid-file", "p", "--", "app"},
        {"-p", "p", "--chdir", "/", "--umask", "077", "--user", "nobody", "--group=nogroup", "app"},
        {"-p", "p", "-d", "/srv", "-u", "www", "-g", "www", "--chroot", "/jail", "--core", "--nice", "5", "app"},
        {"-p", "p", "--no-core", "--iosched", "idle", "--rlimit", "nofile=1024", "--rlimit", "core=0", "--", "app"},
        {"-p", "p", "--env", "A=1", "-e", "B=2", "--env-file=-/etc/default/app", "--keep-fd", "3", "--", "a"},
        {"-p", "p", "--keep-fd=3", "--keep-fd", "10", "-e", "C=3", "--", "app"},
        {"-p", "p", "--stdin", "/dev/null", "--", "app", "--", "--pid-file", "q"},
        {"-p", "p", "--", "--app-named-like-an-option"},
        {"-p", "p", "--", ""},
    };
    for (const auto& line : lines) {
        SCOPED_TRACE(show(line));
        expect_same_as_cli11(line);
    }
    for (std::size_t i = 0; i < 10; ++i) EXPECT_TRUE(read_start_line(lines[i]).has_value()) << show(lines[i]);
    const auto o = read_start_line(lines[7]);
    ASSERT_TRUE(o.has_value());
    EXPECT_EQ(o->env, (std::vector<std::string>{"A=1", "B=2"}));
    EXPECT_EQ(o->env_files, std::vector<std::string>{"-/etc/default/app"});
    EXPECT_EQ(o->keep_fds, std::vector<int>{3});
    EXPECT_EQ(o->command, std::vector<std::string>{"a"});
}

TEST(StartLine, LeavesEveryOtherFormToCli11) {
    const std::vector<std::vector<std::string>> lines{
        {},
        {"--help"},
        {"-p", "p", "--help", "--", "app"},
        {"-h"},
        {"--pid-file", "p"},                          // no program
        {"--pid-file", "p", "--"},                    // no program
        {"--", "app"},                                // no PID file
        {"-p", "p", "-p", "q", "app"},                // repeated
        {"-pp", "app"},                               // short name with its value attached
        {"-p=p", "app"},
        {"--pid-file=", "app"},                       // empty value
        {"--pid-file", "--", "app"},                  // a value that begins with '-'
        {"-p", "p", "--nice", "-5", "app"},
        {"-p", "p", "--bogus", "app"},                // unknown
        {"-p", "p", "--pid", "x", "app"},             // a prefix
        {"-p", "p", "--env", "A=1", "app"},           // CLI11 takes "app" as a second --env
        {"-p", "p", "--keep-fd", "03", "--", "app"},  // not plain decimal
        {"-p", "p", "--keep-fd", "0x3", "--", "app"},
        {"-p", "p", "--keep-fd", "9999999999", "--", "app"},
        {"-p", "p", "--core", "--no-core", "app"},
        {"-p", "p", "--wait-ready=1", "app"},
        {"-p", "p", "--wait-ready", "--wait-ready", "app"},
        {"-p", "p", "-", "app"},
        {"-p", "p", "", "app"},
        {"-p", "p", "++", "app"}, // CLI11 ends the subcommand at "++"
        {"-p", "p", "--env-file", "-/etc/default/app", "--", "app"}, // a value that begins with '-'
        {"-p", "p", "--keep-fd", "3", "--", "--app"}, // after a list, CLI11 reads on for options
        {"-p", "p", "--env", "A=1", "--"},
    };
    for (const auto& line : lines) EXPECT_FALSE(read_start_line(line).has_value()) << show(line);
}

// An option added to start's CLI11 declaration and not to the direct reader
// would only make such lines slower; one the reader has and CLI11 does not
// would be accepted by mistake. Both are caught here.
TEST(StartLine, KnowsEveryOptionOfStartsCli11Declaration) {
    CLI::App app;
    StartOptions o;
    add_start_options(app, o);
    std::size_t options = 0;
    for (const auto* option : app.get_options()) {
        if (option->get_positional() || option == app.get_help_ptr()) continue;
        for (const auto& name : option->get_lnames()) {
            ++options;
            std::vector<std::string> line{"-p", "p", "--" + name};
            if (option->get_expected_min() > 0) line.emplace_back(name == "keep-fd" ? "3" : "v");
            line.insert(line.end(), {"--", "app"});
            if (name == "pid-file") line.erase(line.begin(), line.begin() + 2);
            EXPECT_TRUE(read_start_line(line).has_value()) << "--" << name << " is not read directly";
            expect_same_as_cli11(line);
        }
    }
    EXPECT_GE(options, 19U);
}

// Random lines of the options' names, values and separators: whatever the
// direct reader accepts, CLI11 reads the same way.
TEST(StartLine, AgreesWithCli11OnRandomLines) {
    const std::vector<std::string> tokens{
        "--pid-file", "-p", "--chdir", "-d", "--stdin", "--stdout", "--stderr", "--umask", "--keep-fd",
        "--timeout", "--user", "-u", "--group", "-g", "--chroot", "--core", "--no-core", "--nice", "--iosched",
        "--rlimit", "--env-file", "--env", "-e", "--wait-ready", "--", "-", "", "app", "/x", "3", "03", "-5",
        "A=1", "--pid-file=f", "--env=B=2", "--keep-fd=4", "--nice=-3", "--chdir=", "--core=", "-pq", "--help",
        "-h", "--bogus", "--pid", "x y", "=", "--=x", "[x]", "[a,b]", "[", "--env=[C=3]", "++"};
    std::mt19937 random(20261130);
    std::size_t accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        std::vector<std::string> line;
        const auto length = std::uniform_int_distribution<std::size_t>(0, 9)(random);
        for (std::size_t i = 0; i < length; ++i)
            line.push_back(tokens[std::uniform_int_distribution<std::size_t>(0, tokens.size() - 1)(random)]);
        if (read_start_line(line)) ++accepted;
        expect_same_as_cli11(line);
        if (HasFailure()) return;
    }
    EXPECT_GT(accepted, 100U); // the comparison compared something
}
