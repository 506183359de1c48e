#pragma once
// Small Win32 helpers shared by the *.windows.cpp files: text conversion,
// error text, an owning HANDLE, and command-line quoting.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace daemoniker::detail::win {

std::wstring widen(std::string_view utf8);
std::string narrow(std::wstring_view wide);

/// FormatMessageW text of a Win32 error, without the trailing newline.
std::string message(DWORD code);

inline std::error_code last_error() noexcept {
    return {static_cast<int>(::GetLastError()), std::system_category()};
}

/// An owning HANDLE (INVALID_HANDLE_VALUE and null both mean "none").
class Handle {
public:
    Handle() = default;
    explicit Handle(HANDLE h) noexcept : h_(h) {}
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle(Handle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    Handle& operator=(Handle&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    ~Handle() { reset(); }
    void reset(HANDLE h = nullptr) noexcept {
        if (valid()) ::CloseHandle(h_);
        h_ = h;
    }
    [[nodiscard]] HANDLE get() const noexcept { return h_; }
    [[nodiscard]] HANDLE release() noexcept { return std::exchange(h_, nullptr); }
    [[nodiscard]] bool valid() const noexcept { return h_ != nullptr && h_ != INVALID_HANDLE_VALUE; }

private:
    HANDLE h_ = nullptr;
};

/// Quotes one argument so CommandLineToArgvW and the C runtime read it back
/// unchanged (backslashes are literal except before a double quote).
std::wstring quote_argument(std::wstring_view arg);

/// The process's creation time (100 ns units since 1601), 0 if unknown.
std::uint64_t creation_time(HANDLE process) noexcept;

/// True when `dacl` lets users other than the caller write a file, or change
/// its DACL or owner (and with them everything): when it allows Everyone,
/// Authenticated Users or BUILTIN\Users FILE_WRITE_DATA, FILE_APPEND_DATA,
/// WRITE_DAC or WRITE_OWNER (GENERIC_WRITE and GENERIC_ALL include them) that
/// no earlier ACE denied them. A NULL DACL allows everyone everything.
bool lets_others_write(const ACL* dacl) noexcept;

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
