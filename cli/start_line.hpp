#pragma once
// start's command line: its declaration to CLI11 (also restart's), and a
// reader of its plain forms without CLI11.
//
// `daemoniker start` runs on every start of a daemon, and building CLI11's
// parser for it (every option made of strings and std::functions, each new
// one compared with all before it) costs more instructions than loading
// the command and daemonizing together. The command lines that scripts and
// unit files write are read here directly; any other (help, a mistake, a
// form whose meaning depends on CLI11's rules) is left to CLI11, which then
// parses it and gives its help and its messages. Both readers must agree on
// every line this one accepts: tests/cli/parsers_test.cpp and
// fuzz/start_line_fuzzer.cpp compare them.

#include "commands.hpp"

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace daemoniker::cli {

/// start's options on `sub` (start's and restart's), with its program.
void add_start_options(CLI::App& sub, StartOptions& o);

/// The options of the arguments after "start", when each one is a plain
/// form:
///   --name value, --name=value (a value not empty), -p value (the short
///   names exactly as given), --flag, a list option's value followed by an
///   option or "--", then "--" or the program's name and its arguments.
/// std::nullopt for anything else, such as --help, an unknown or repeated
/// option, a value that begins with '-' or a --keep-fd that is not a plain
/// decimal number, and a line without --pid-file or a program.
std::optional<StartOptions> read_start_line(const std::vector<std::string>& args);

/// The same arguments as the command reads them with CLI11 (start's
/// declaration, parse_verbatim()); std::nullopt where CLI11 refuses them.
/// What read_start_line() is compared with.
std::optional<StartOptions> cli11_start_line(const std::vector<std::string>& args);

} // namespace daemoniker::cli
