// Platform-independent half of daemonize-and-exec: what every platform
// checks of the program before daemonizing.

#include "exec.hpp"

namespace daemoniker::detail {

void check_exec_spec(const ExecSpec& exec) {
    if (exec.program.empty() || exec.argv.empty()) throw OptionError("cannot start program: no program given");
#ifdef _WIN32
    if (exec.nice) throw OptionError("cannot start program: a nice value is not supported on Windows");
    if (exec.io_priority) throw OptionError("cannot start program: an I/O scheduling class is not supported on Windows");
    if (!exec.limits.empty()) throw OptionError("cannot start program: resource limits are not supported on Windows");
#endif
}

} // namespace daemoniker::detail
