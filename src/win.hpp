#pragma once
// Small Win32 helpers shared by the *.windows.cpp files: text conversion,
// error text, an owning HANDLE, command lines and process creation, file
// DACLs. (The signal channel's protocol is in signal_channel.hpp.)

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

/// This process's user SID in SDDL form ("S-1-5-21-..."), empty if unknown.
std::wstring caller_sid() noexcept;

/// SDDL form of `sid`, empty if it cannot be converted.
std::wstring sid_text(PSID sid) noexcept;

/// True when both handles are open on the same file (volume and file index).
bool same_file(HANDLE a, HANDLE b) noexcept;

/// One command line from arguments, each quoted by quote_argument().
std::wstring command_line(const std::vector<std::wstring>& argv);

/// A CreateProcessW environment block ("NAME=value" entries, each ended by
/// a NUL, then one more NUL).
std::wstring environment_block(const std::vector<std::wstring>& entries);

/// What create_process() starts, and with which handles.
struct ProcessSpec {
    std::wstring application;  ///< the executable; empty: the command line's first word
    std::wstring command_line;
    std::wstring environment;  ///< environment_block(); empty: the caller's environment
    DWORD flags = 0;           ///< CREATE_UNICODE_ENVIRONMENT and EXTENDED_STARTUPINFO_PRESENT are added
    /// Exactly these handles are inherited (made inheritable for the call,
    /// then restored), whatever else is inheritable; nulls and duplicates are
    /// skipped. At most 8.
    std::vector<HANDLE> inherit;
    bool std_handles = false;  ///< start with stdin/stdout/stderr = the first entries of `standard`
    HANDLE standard[3] = {nullptr, nullptr, nullptr};
    bool hidden_window = false;
};

/// CreateProcessW with the handle list attribute (PROC_THREAD_ATTRIBUTE_HANDLE_LIST).
/// Returns 0 and fills `created`, or the Win32 error.
DWORD create_process(ProcessSpec& spec, PROCESS_INFORMATION& created) noexcept;

} // namespace daemoniker::detail::win
