// Confinement on Windows: none of it exists there (no users to switch to
// from a process, no chroot, no core limit); the options are refused before
// anything starts.

#include "options.hpp"

#include <daemoniker/errors.hpp>

namespace daemoniker::detail {

void check_confinement(const Options& o) {
    if (o.chroot) throw OptionError("chroot: not supported on Windows");
    if (o.core_dumps) throw OptionError("core_dumps: not supported on Windows");
}

void resolve_identity(const Options& o, Resolved& /*r*/) {
    if (o.user) throw OptionError("user: running the daemon as another user is not supported on Windows");
    if (o.group) throw OptionError("group: running the daemon with another group is not supported on Windows");
}

} // namespace daemoniker::detail
