// Platform-independent half of daemonize-and-exec: what every platform
// checks of the program before daemonizing.

#include "exec.hpp"

namespace daemoniker::detail {

void check_exec_spec(const ExecSpec& exec) {
    if (exec.program.empty() || exec.argv.empty()) throw OptionError("cannot start program: no program given");
#ifdef _WIN32
    if (exec.credentials) throw OptionError("cannot start program: switching user or group is not supported on Windows");
#endif
}

} // namespace daemoniker::detail
