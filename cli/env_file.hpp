#pragma once
// --env-file: systemd's EnvironmentFile= format (systemd.exec(5)), read the
// way systemd reads it: "#" and ";" comment lines, NAME=value lines (others
// ignored), values unquoted (backslash keeps the next character, a
// backslash-newline continues the line, surrounding whitespace dropped),
// in single quotes (verbatim, over lines) or in double quotes (shell rules:
// backslash escapes " \ ` $ and newline only).

#include <string>
#include <string_view>
#include <vector>

namespace daemoniker::cli {

/// The NAME=value entries of `text`, in order. Throws Failure (exit 1) naming
/// "<origin>:<line>: <why>" for an invalid variable name, an unterminated
/// quote or a NUL character.
std::vector<std::string> parse_env_file(std::string_view text, const std::string& origin);

/// Reads --env-file's argument: a path, or "-path" for a file that may be
/// missing (then no entries). Throws Failure (exit 1) when it cannot be read
/// or parsed (bad content of a file is no misuse of the command).
std::vector<std::string> read_env_file(const std::string& argument);

} // namespace daemoniker::cli
