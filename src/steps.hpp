#pragma once
// Everything the library says about a daemonization step, in one table: its
// text in messages, its key in the fault-injection variables (sys.hpp), and
// which path it works on. A step added to daemoniker::Step is added here,
// in the enumeration's order (checked at compile time).

#include "options.hpp"

#include <daemoniker/errors.hpp>

#include <array>
#include <cstddef>
#include <filesystem>
#include <string_view>

namespace daemoniker::detail {

/// The member of Resolved a step works on.
enum class StepPath : std::uint8_t { none, chdir, pid_file, stdin_path, stdout_path, stderr_path, chroot };

struct StepInfo {
    Step step;
    std::string_view text; ///< in messages: "cannot start daemon: <text> '<path>': <reason>"
    std::string_view key;  ///< in DAEMONIKER_TEST_FAIL and its siblings
    StepPath path;
};

inline constexpr std::array<StepInfo, 22> step_table{{
    {Step::validate, "validate options", "validate", StepPath::none},
    {Step::report_channel, "create report channel", "report_channel", StepPath::none},
    {Step::fork, "fork", "fork", StepPath::none},
    {Step::setsid, "setsid", "setsid", StepPath::none},
    {Step::fork_again, "second fork", "fork_again", StepPath::none},
    {Step::chdir, "chdir", "chdir", StepPath::chdir},
    {Step::pid_file_open, "open PID file", "pid_file_open", StepPath::pid_file},
    {Step::pid_file_lock, "lock PID file", "pid_file_lock", StepPath::pid_file},
    {Step::pid_file_write, "write PID file", "pid_file_write", StepPath::pid_file},
    {Step::close_fds, "close inherited descriptors", "close_fds", StepPath::none},
    {Step::redirect_stdin, "redirect stdin", "redirect_stdin", StepPath::stdin_path},
    {Step::redirect_stdout, "redirect stdout", "redirect_stdout", StepPath::stdout_path},
    {Step::redirect_stderr, "redirect stderr", "redirect_stderr", StepPath::stderr_path},
    {Step::report, "report to the original process", "report", StepPath::none},
    {Step::handoff, "receive arguments", "handoff", StepPath::none},
    {Step::wait, "wait for the daemon's report", "wait", StepPath::none},
    {Step::drop_privileges, "drop privileges", "drop_privileges", StepPath::none},
    {Step::exec, "execute the program", "exec", StepPath::none},
    {Step::fork_program, "fork the program", "fork_program", StepPath::none},
    {Step::chroot, "chroot", "chroot", StepPath::chroot},
    {Step::core_dumps, "set core dumps", "core_dumps", StepPath::none},
    {Step::limits, "set limits", "limits", StepPath::none},
}};

constexpr bool in_enumeration_order() noexcept {
    for (std::size_t i = 0; i < step_table.size(); ++i)
        if (static_cast<std::size_t>(step_table[i].step) != i) return false;
    return true;
}
static_assert(in_enumeration_order(), "step_table lists the steps in the order daemoniker::Step declares them");

/// The table's entry for `step`; nullptr for a value outside the enumeration.
constexpr const StepInfo* info(Step step) noexcept {
    const auto i = static_cast<std::size_t>(step);
    return i < step_table.size() ? &step_table[i] : nullptr;
}

/// Whether a step's failure concerns the PID file.
constexpr bool is_pid_file_step(Step step) noexcept {
    const StepInfo* s = info(step);
    return s != nullptr && s->path == StepPath::pid_file;
}

/// The path `step` works on, for the message ("" when none).
inline const std::filesystem::path& path_of(Step step, const Resolved& r) noexcept {
    static const std::filesystem::path none;
    const StepInfo* s = info(step);
    switch (s == nullptr ? StepPath::none : s->path) {
    case StepPath::none: return none;
    case StepPath::chdir: return r.chdir;
    case StepPath::pid_file: return r.pid_file;
    case StepPath::stdin_path: return r.stdin_path;
    case StepPath::stdout_path: return r.stdout_path;
    case StepPath::stderr_path: return r.stderr_path;
    case StepPath::chroot: return r.chroot;
    }
    return none;
}

} // namespace daemoniker::detail
