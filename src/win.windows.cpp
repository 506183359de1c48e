#include "win.hpp"

namespace daemoniker::detail::win {

std::wstring widen(std::string_view utf8) {
    if (utf8.empty()) return {};
    const int n = ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
    std::wstring out(static_cast<std::size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
    return out;
}

std::string narrow(std::wstring_view wide) {
    if (wide.empty()) return {};
    const int n = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), nullptr, 0, nullptr, nullptr);
    std::string out(static_cast<std::size_t>(n), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), out.data(), n, nullptr, nullptr);
    return out;
}

std::string message(DWORD code) {
    wchar_t* buf = nullptr;
    const DWORD n = ::FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                     nullptr, code, 0, reinterpret_cast<wchar_t*>(&buf), 0, nullptr);
    std::wstring text = n != 0 && buf != nullptr ? std::wstring(buf, n) : std::wstring();
    if (buf != nullptr) ::LocalFree(buf);
    while (!text.empty() && (text.back() == L'\n' || text.back() == L'\r' || text.back() == L' ' || text.back() == L'.'))
        text.pop_back();
    if (text.empty()) return "Windows error " + std::to_string(code);
    return narrow(text) + " (Windows error " + std::to_string(code) + ")";
}

std::wstring quote_argument(std::wstring_view arg) {
    if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring_view::npos) return std::wstring(arg);
    std::wstring out = L"\"";
    std::size_t backslashes = 0;
    for (wchar_t c : arg) {
        if (c == L'\\') {
            ++backslashes;
            continue;
        }
        // Backslashes are doubled only when a quote follows them.
        out.append(c == L'"' ? backslashes * 2 + 1 : backslashes, L'\\');
        backslashes = 0;
        out.push_back(c);
    }
    out.append(backslashes * 2, L'\\'); // before the closing quote
    out.push_back(L'"');
    return out;
}

std::uint64_t creation_time(HANDLE process) noexcept {
    FILETIME created{}, exited{}, kernel{}, user{};
    if (!::GetProcessTimes(process, &created, &exited, &kernel, &user)) return 0;
    return (static_cast<std::uint64_t>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
}

namespace {

// Groups that hold users other than the caller: every user is in Everyone,
// and every signed-in user in the other two.
constexpr WELL_KNOWN_SID_TYPE other_users[] = {WinWorldSid, WinAuthenticatedUserSid, WinBuiltinUsersSid};

bool is_sid(const DWORD& sid_start, WELL_KNOWN_SID_TYPE type) noexcept {
    return ::IsWellKnownSid(const_cast<DWORD*>(&sid_start), type) != FALSE;
}

// The rights `dacl` leaves the members of `group`, evaluated as Windows does:
// ACEs in order, a right once denied stays denied. An ACE for Everyone
// applies to every group. ACEs for groups the members may also belong to are
// not counted against them, so the answer errs towards "may write".
ACCESS_MASK rights_of(const ACL& dacl, WELL_KNOWN_SID_TYPE group) noexcept {
    GENERIC_MAPPING files{FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS};
    ACCESS_MASK allowed = 0;
    ACCESS_MASK denied = 0;
    for (DWORD i = 0; i < dacl.AceCount; ++i) {
        void* ace = nullptr;
        if (!::GetAce(const_cast<ACL*>(&dacl), i, &ace)) break;
        const auto& header = *static_cast<const ACE_HEADER*>(ace);
        if ((header.AceFlags & INHERIT_ONLY_ACE) != 0) continue; // for objects created inside, not this one
        // A conditional (callback) ACE may allow: counted. Whether it denies
        // is not known here: not counted.
        const bool allows =
            header.AceType == ACCESS_ALLOWED_ACE_TYPE || header.AceType == ACCESS_ALLOWED_CALLBACK_ACE_TYPE;
        const bool denies = header.AceType == ACCESS_DENIED_ACE_TYPE;
        if (!allows && !denies) continue;
        // The allowed, denied and callback ACEs share this layout up to the SID.
        const auto& body = *static_cast<const ACCESS_ALLOWED_ACE*>(ace);
        if (!is_sid(body.SidStart, group) && !is_sid(body.SidStart, WinWorldSid)) continue;
        ACCESS_MASK mask = body.Mask;
        ::MapGenericMask(&mask, &files);
        if (denies) denied |= mask;
        else allowed |= mask & ~denied;
    }
    return allowed;
}

} // namespace

bool lets_others_write(const ACL* dacl) noexcept {
    if (dacl == nullptr) return true;
    constexpr ACCESS_MASK changes_content = FILE_WRITE_DATA | FILE_APPEND_DATA | WRITE_DAC | WRITE_OWNER;
    for (const auto group : other_users)
        if ((rights_of(*dacl, group) & changes_content) != 0) return true;
    return false;
}

std::wstring signal_pipe_name(std::uint64_t pid, std::uint64_t created) {
    return L"\\\\.\\pipe\\daemoniker-signal-" + std::to_wstring(pid) + L"-" + std::to_wstring(created);
}

} // namespace daemoniker::detail::win
