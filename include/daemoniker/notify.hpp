#pragma once
/// \file
/// Telling a service manager about the daemon's state, with the sd_notify
/// datagram protocol (no libsystemd needed): systemd `Type=notify` units, and
/// `daemoniker start --wait-ready`, give the program a `NOTIFY_SOCKET`.
///
///     daemoniker::notify_ready();                 // after setup: "READY=1"
///     daemoniker::notify_status("serving 3 clients");
///     daemoniker::notify_stopping();              // on the way out: "STOPPING=1"
///
/// Each call returns false and does nothing when NOTIFY_SOCKET is not set
/// (not started by a service manager), so they can be called unconditionally.

#include <daemoniker/export.hpp>

#include <string_view>
#include <system_error>

namespace daemoniker {

/// Sends `state` ("KEY=VALUE" lines, e.g. "READY=1\nSTATUS=up") as one
/// datagram to $NOTIFY_SOCKET (a path, or an abstract socket written "@name").
/// Returns true if sent, false if NOTIFY_SOCKET is unset. Throws Error when
/// the variable is malformed or sending fails.
/// Platform notes: Windows has no NOTIFY_SOCKET; always returns false there.
DAEMONIKER_API bool notify(std::string_view state);
/// As above; on failure sets `ec` and returns false.
DAEMONIKER_API bool notify(std::string_view state, std::error_code& ec) noexcept;

/// notify("READY=1"): startup is complete.
DAEMONIKER_API bool notify_ready();
/// notify("STOPPING=1"): the daemon is shutting down.
DAEMONIKER_API bool notify_stopping();
/// notify("STATUS=<text>"): a one-line human-readable status (newlines are
/// replaced by spaces so the text cannot inject other fields).
DAEMONIKER_API bool notify_status(std::string_view text);

} // namespace daemoniker
