// The command line on POSIX: argv is already what the user typed, in bytes;
// nothing is converted (a file name need not be valid UTF-8 here at all).

#include "command_line.hpp"

namespace daemoniker::cli {

std::vector<std::string> command_line(int argc, char** argv) {
    return argc > 1 ? std::vector<std::string>(argv + 1, argv + argc) : std::vector<std::string>{};
}

} // namespace daemoniker::cli
