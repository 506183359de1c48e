// Confinement, common part: the message of a failed privilege drop.

#include "confine.hpp"

namespace daemoniker::detail {

std::string describe_drop(const Credentials& c, std::int64_t call) {
    std::string what = "drop privileges to ";
    if (c.uid) what += "uid " + std::to_string(*c.uid) + ", ";
    what += "gid " + std::to_string(c.gid) + ": ";
    switch (static_cast<DropCall>(call)) {
    case DropCall::setgroups: return what + "setgroups";
    case DropCall::setgid: return what + "setgid";
    case DropCall::setuid: return what + "setuid";
    case DropCall::regain_root: return what + "root privileges could be regained after setuid";
    }
    return what + "unknown call";
}

} // namespace daemoniker::detail
