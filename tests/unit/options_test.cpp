// Option validation: every bad input is refused with a message naming the
// option, the value and the reason, before anything is forked.

#include "options.hpp"
#include "streams.hpp"

#include <daemoniker/errors.hpp>

#include <gtest/gtest.h>

namespace {

using daemoniker::Options;
using daemoniker::OptionError;
using daemoniker::detail::resolve;

std::string refusal(const std::filesystem::path& pid_file, const Options& o) {
    try {
        resolve(pid_file, o);
    } catch (const OptionError& e) {
        return e.what();
    }
    return "accepted";
}

TEST(Options, DefaultsFollowTheSeed) {
    const Options o;
    EXPECT_EQ(o.umask, 027);
    EXPECT_EQ(o.fd_fallback_limit, 1024);
    EXPECT_EQ(o.success_timeout, std::chrono::seconds(30));
    EXPECT_FALSE(o.strip_cmd_args);
    EXPECT_TRUE(o.explicit_rescript.empty());
    EXPECT_TRUE(o.shielded_fds.empty());
    EXPECT_FALSE(o.chdir || o.stdin_goto || o.stdout_goto || o.stderr_goto);
}

// Every member named at once, in the order options.hpp and docs/api.md
// document: the Python original's keyword order, then the C++-only members.
// Designated initializers out of declaration order do not compile, so a
// reordering of the struct (or of the documented order) breaks this test.
TEST(Options, DesignatedInitializersInTheDocumentedOrder) {
    using namespace std::chrono_literals;
    const Options o{
        .chdir = "data",
        .stdin_goto = "in.txt",
        .stdout_goto = "out.log",
        .stderr_goto = "err.log",
        .umask = 022,
        .shielded_fds = {0},
        .fd_fallback_limit = 64,
        .success_timeout = 5s,
        .strip_cmd_args = true,
        .explicit_rescript = {"program", "--flag"},
        .allow_threads = true,
        .detach = daemoniker::Detach::never,
    };
    // The confinement members follow, in their order (resolved below, in
    // Options.ConfinementIsResolvedOrRefused: they need the system).
    const Options confined{.detach = daemoniker::Detach::never, .user = "app", .group = "app", .chroot = "jail",
                           .core_dumps = false};
    EXPECT_EQ(confined.user, "app");
    EXPECT_EQ(confined.core_dumps, false);
    const auto r = resolve("x.pid", o);
    const auto cwd = std::filesystem::current_path();
    EXPECT_EQ(r.chdir, cwd / "data");
    EXPECT_EQ(r.stdin_path, cwd / "in.txt");
    EXPECT_EQ(r.stdout_path, cwd / "out.log");
    EXPECT_EQ(r.stderr_path, cwd / "err.log");
    EXPECT_EQ(r.umask, 022);
    EXPECT_EQ(r.fd_fallback_limit, 64);
    EXPECT_TRUE(o.strip_cmd_args && o.allow_threads);
    EXPECT_EQ(o.explicit_rescript.size(), 2u);
    EXPECT_EQ(o.success_timeout, 5s);
}

TEST(Options, PathsAreMadeAbsoluteAndStreamsDefaultToNull) {
    const auto r = resolve("run/app.pid", Options{.stdout_goto = "logs/../out.log"});
    const auto cwd = std::filesystem::current_path();
    EXPECT_EQ(r.pid_file, cwd / "run/app.pid");
    EXPECT_EQ(r.chdir, cwd);
    EXPECT_EQ(r.stdout_path, cwd / "out.log");
    EXPECT_EQ(r.stdin_path, daemoniker::detail::null_device());
    EXPECT_EQ(r.stderr_path, daemoniker::detail::null_device());
}

TEST(Options, ShieldedDescriptorsAreSortedAndUnique) {
    const auto r = resolve("/tmp/x.pid", Options{.shielded_fds = {9, 4, 9, 5}});
    EXPECT_EQ(r.shielded_fds, (std::vector<int>{4, 5, 9}));
}

TEST(Options, BadInputIsRefusedWithAClearMessage) {
    EXPECT_EQ(refusal("", {}), "PID file: the path is empty");
    EXPECT_EQ(refusal("/tmp/", {}), "PID file '/tmp/': names a directory, not a file");
    EXPECT_EQ(refusal(std::string("a\0b", 3), {}), "PID file: the path contains a NUL character");
    EXPECT_EQ(refusal("/tmp/x.pid", {.umask = 01000}), "umask 01000 is outside 0 to 0777");
    EXPECT_EQ(refusal("/tmp/x.pid", {.umask = -1}), "umask -1 is outside 0 to 0777");
    EXPECT_EQ(refusal("/tmp/x.pid", {.fd_fallback_limit = -1}), "fd_fallback_limit -1 is negative");
    EXPECT_EQ(refusal("/tmp/x.pid", {.success_timeout = std::chrono::milliseconds(0)}),
              "success_timeout 0 ms is not positive");
    EXPECT_EQ(refusal("/tmp/x.pid", {.success_timeout = std::chrono::milliseconds(-5)}),
              "success_timeout -5 ms is not positive");
    EXPECT_EQ(refusal("/tmp/x.pid", {.shielded_fds = {3, -1}}), "shielded_fds: descriptor -1 is negative");
    EXPECT_EQ(refusal("/tmp/x.pid", {.chdir = ""}), "chdir: the path is empty");
    EXPECT_EQ(refusal("/tmp/x.pid", {.stderr_goto = ""}), "stderr_goto: the path is empty");
    EXPECT_EQ(refusal("/tmp/x.pid", {.umask = 0777}), "accepted");
    EXPECT_EQ(refusal("/tmp/x.pid", {.umask = 0}), "accepted");
}

TEST(Options, ConfinementIsResolvedOrRefused) {
#ifndef _WIN32
    const auto cwd = std::filesystem::current_path();
    auto r = resolve("x.pid", Options{.chdir = "work", .chroot = "jail"});
    EXPECT_EQ(r.chroot, cwd / "jail");
    EXPECT_EQ(r.chdir, "/work"); // inside the new root
    r = resolve("x.pid", Options{.chroot = "/srv/jail", .core_dumps = true});
    EXPECT_EQ(r.chdir, "/");
    EXPECT_EQ(r.core_dumps, true);
    EXPECT_FALSE(r.identity);
    EXPECT_EQ(refusal("/tmp/x.pid", {.chroot = ""}), "chroot: the path is empty");
    EXPECT_EQ(refusal("/tmp/x.pid", {.user = "dmnk-no-such-user"}), "user: no such user 'dmnk-no-such-user'");
    EXPECT_EQ(refusal("/tmp/x.pid", {.group = "dmnk-no-such-group"}), "group: no such group 'dmnk-no-such-group'");
    EXPECT_EQ(refusal("/tmp/x.pid", {.user = "4000000"}),
              "user: uid 4000000 has no passwd entry: its group must be given too");
    EXPECT_EQ(refusal("/tmp/x.pid", {.user = ""}), "user: the name is empty");
#else
    EXPECT_EQ(refusal("x.pid", {.user = "app"}), "user: running the daemon as another user is not supported on Windows");
    EXPECT_EQ(refusal("x.pid", {.group = "app"}),
              "group: running the daemon with another group is not supported on Windows");
    EXPECT_EQ(refusal("x.pid", {.chroot = "C:\\jail"}), "chroot: not supported on Windows");
    EXPECT_EQ(refusal("x.pid", {.core_dumps = false}), "core_dumps: not supported on Windows");
#endif
}

} // namespace
