#pragma once
// CLI11 as the command uses it.

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace daemoniker::cli {

/// Parses `args` (the arguments after the program's name) with `app`, every
/// argument reaching the options verbatim. CLI11 reads an argument in
/// brackets given to an option or positional that takes several values
/// ("[a,b]") as the list of what is inside, so a program's argument "[x]"
/// would reach the program as "x", and a PID file named "[a,b]" would be
/// two; and "--name=" would take the next argument as its value, where it
/// gives the empty string here. Throws what CLI::App::parse throws.
void parse_verbatim(CLI::App& app, std::vector<std::string> args);

/// `text` (an argument CLI11 left over, a message of CLI11's naming one) as
/// it was typed: without what parse_verbatim() added to keep it verbatim.
std::string unmarked(std::string text);

} // namespace daemoniker::cli
