#pragma once
// What the subcommands share: exit statuses, the one-line failure that ends a
// command, and parsing of numbers given on the command line.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace CLI {
class App;
class Option;
} // namespace CLI

namespace daemoniker::cli {

/// Exit statuses (docs/cli.md has the table per subcommand). status follows
/// the LSB init-script conventions; the others reuse the same numbers where
/// the meaning is the same.
namespace exit_status {
inline constexpr int ok = 0;             ///< done / running
inline constexpr int failed = 1;         ///< start failed; stop, send: nothing to do (not running); status: dead, stale PID file
inline constexpr int still_running = 2;  ///< stop: still running after the schedule; start: already running
inline constexpr int not_running = 3;    ///< status: no PID file
inline constexpr int unknown = 4;        ///< status unknown / refused: unreadable PID file, unlocked file of a live process, no permission
inline constexpr int usage = 64;         ///< bad command line (EX_USAGE of sysexits.h)
} // namespace exit_status

/// Ends the command: `what` is printed as one line, "daemoniker: <command>: <what>".
/// `details` (for instance the last lines a failed program wrote to its
/// stderr) follow it, each line indented by two spaces.
class Failure : public std::runtime_error {
public:
    Failure(int status, const std::string& what, std::string details = {})
        : std::runtime_error(what), status_(status), details_(std::move(details)) {}
    [[nodiscard]] int status() const noexcept { return status_; }
    [[nodiscard]] const std::string& details() const noexcept { return details_; }

private:
    int status_;
    std::string details_;
};

/// A bad argument that CLI11 could not catch itself (exit_status::usage).
class UsageError : public Failure {
public:
    explicit UsageError(const std::string& what) : Failure(exit_status::usage, what) {}
};

/// A subcommand: its CLI11 node and what runs when it was chosen.
struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

/// The path of a PIDFILE argument (stop, status, send). Throws UsageError
/// when it is empty: no file has that name, and the command must not try one.
std::filesystem::path pid_file_arg(const std::string& text);

/// Seconds as on the command line ("30", "0.5"), at most `max_seconds`;
/// std::nullopt when malformed, negative or too large. Rounded up to a
/// millisecond so that a tiny positive value never becomes 0.
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text, double max_seconds = 1e7);

/// "1h 02m 03s", "5m 07s", "42s", "0.3s" for a duration in seconds.
std::string format_duration(double seconds);

/// The length of the valid UTF-8 sequence at the start of `text` (1 to 4),
/// or 0 when it is not one: a stray continuation byte, a truncated or
/// overlong sequence, a surrogate, a code point above U+10FFFF, or no text.
std::size_t utf8_sequence(std::string_view text) noexcept;

/// `text` from a program (its STATUS=, the lines it wrote to its stderr),
/// made safe to print on a terminal: every control character (C0, DEL, and
/// C1 as encoded in UTF-8) and every byte that is not part of valid UTF-8
/// becomes \xNN, in lower-case hex, one per byte; all other text, valid
/// UTF-8 included, stays as it is. Backslashes are not escaped: the result
/// is for reading, not for decoding.
std::string escape_controls(std::string_view text);

/// Prints "daemoniker: <command>: <what>" as one line on stderr, then
/// `details` line by line, indented.
void print_error(std::string_view command, std::string_view what, std::string_view details = {});

} // namespace daemoniker::cli
