// Platform-independent half of the notify calls.

#include "startup.hpp"

#include <daemoniker/errors.hpp>
#include <daemoniker/notify.hpp>

#include <string>

namespace daemoniker {

bool notify(std::string_view state) {
    std::error_code ec;
    const bool sent = notify(state, ec);
    if (ec) throw Error("cannot notify the service manager (NOTIFY_SOCKET): " + detail::describe(ec), ec);
    return sent;
}

bool notify_ready() { return notify("READY=1"); }
bool notify_stopping() { return notify("STOPPING=1"); }

bool notify_status(std::string_view text) {
    std::string line = "STATUS=";
    for (char c : text) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
    return notify(line);
}

} // namespace daemoniker
