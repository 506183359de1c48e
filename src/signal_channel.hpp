#pragma once
// The Windows signal channel's protocol: a named pipe per daemon instance,
// which send() writes a signal number to and whose SignalHandler answers
// with a receipt. Implemented in signals.windows.cpp; used by the
// supervisor of `daemoniker start` and by the command's `send`/`stop`.

#include "win.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>

namespace daemoniker::detail::win {

/// The name of a daemon's signal pipe: unique to one process instance, since
/// it includes the creation time (PIDs are reused quickly on Windows).
std::wstring signal_pipe_name(std::uint64_t pid, std::uint64_t created);

/// send() past the PID file: delivers `signal_number` over the channel of the
/// process instance (pid, creation time) and waits for its acknowledgement.
/// errc::signal_dropped when the daemon has no action for the signal;
/// errc::no_signal_channel when that process serves none (no SignalHandler)
/// for `patience` (a daemon that just reported success may be about to start
/// its SignalHandler; a running one always has an instance of its pipe);
/// ERROR_TIMEOUT when the whole exchange took longer than `limit`.
void send_to_channel(std::uint64_t pid, std::uint64_t created, int signal_number, std::error_code& ec,
                     std::chrono::milliseconds patience = std::chrono::milliseconds(200),
                     std::chrono::milliseconds limit = std::chrono::seconds(5)) noexcept;

/// What the channel makes of a signal it received, decided before it
/// acknowledges (so that the sender learns it).
enum class Receipt {
    pass,    ///< mark it pending: the SignalHandler's action runs on its thread
    done,    ///< the filter dealt with it itself
    dropped, ///< nothing will act on it: send() reports errc::signal_dropped
};
/// A filter the channel consults at receipt, on its listener thread, instead
/// of its own rule (SIGHUP/SIGUSR1/SIGUSR2 with the default action are
/// dropped). The supervisor of `daemoniker start` sets one, to learn from
/// its program's channel whether a signal arrives. Set it before the
/// SignalHandler starts; null removes it.
using ReceiptFilter = Receipt (*)(int signal_number, void* context) noexcept;
void set_receipt_filter(ReceiptFilter filter, void* context) noexcept;

} // namespace daemoniker::detail::win
