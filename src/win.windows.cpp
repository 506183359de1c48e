// Small Win32 helpers (win.hpp).

#include "win.hpp"

#include <sddl.h>

#include <cstddef>
#include <iterator>

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

std::wstring sid_text(PSID sid) noexcept {
    wchar_t* text = nullptr;
    if (sid == nullptr || !::ConvertSidToStringSidW(sid, &text)) return {};
    std::wstring out;
    try {
        out = text;
    } catch (...) { // out of memory: unknown
    }
    ::LocalFree(text);
    return out;
}

std::wstring caller_sid() noexcept {
    HANDLE t = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &t)) return {};
    const Handle token(t);
    alignas(TOKEN_USER) BYTE buffer[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    DWORD size = 0;
    if (!::GetTokenInformation(token.get(), TokenUser, buffer, sizeof buffer, &size)) return {};
    return sid_text(reinterpret_cast<TOKEN_USER*>(buffer)->User.Sid);
}

bool same_file(HANDLE a, HANDLE b) noexcept {
    BY_HANDLE_FILE_INFORMATION x{}, y{};
    return ::GetFileInformationByHandle(a, &x) && ::GetFileInformationByHandle(b, &y) &&
           x.dwVolumeSerialNumber == y.dwVolumeSerialNumber && x.nFileIndexHigh == y.nFileIndexHigh &&
           x.nFileIndexLow == y.nFileIndexLow;
}

std::wstring command_line(const std::vector<std::wstring>& argv) {
    std::wstring line;
    for (const auto& arg : argv) {
        if (!line.empty()) line += L' ';
        line += quote_argument(arg);
    }
    return line;
}

std::wstring environment_block(const std::vector<std::wstring>& entries) {
    std::wstring block;
    for (const auto& entry : entries) {
        block += entry;
        block.push_back(L'\0');
    }
    if (block.empty()) block.push_back(L'\0');
    block.push_back(L'\0');
    return block;
}

namespace {

// The handles of `spec.inherit`, without nulls and duplicates, made
// inheritable; restores them when it ends.
class InheritedHandles {
public:
    explicit InheritedHandles(const std::vector<HANDLE>& handles) noexcept {
        for (HANDLE h : handles) {
            if (h == nullptr || h == INVALID_HANDLE_VALUE || count_ == std::size(list_)) continue;
            bool seen = false;
            for (DWORD i = 0; i < count_; ++i) seen = seen || list_[i] == h;
            if (seen) continue;
            DWORD flags = 0;
            if (!::GetHandleInformation(h, &flags)) {
                error_ = ::GetLastError();
                continue;
            }
            if ((flags & HANDLE_FLAG_INHERIT) == 0 && !::SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
                error_ = ::GetLastError();
            was_inheritable_[count_] = (flags & HANDLE_FLAG_INHERIT) != 0;
            list_[count_++] = h;
        }
    }
    ~InheritedHandles() {
        for (DWORD i = 0; i < count_; ++i)
            if (!was_inheritable_[i]) ::SetHandleInformation(list_[i], HANDLE_FLAG_INHERIT, 0);
    }
    InheritedHandles(const InheritedHandles&) = delete;
    InheritedHandles& operator=(const InheritedHandles&) = delete;

    [[nodiscard]] DWORD error() const noexcept { return error_; }
    [[nodiscard]] DWORD count() const noexcept { return count_; }
    [[nodiscard]] HANDLE* data() noexcept { return list_; }

private:
    HANDLE list_[8] = {};
    bool was_inheritable_[8] = {};
    DWORD count_ = 0;
    DWORD error_ = 0;
};

} // namespace

DWORD create_process(ProcessSpec& spec, PROCESS_INFORMATION& created) noexcept {
    InheritedHandles inherit(spec.inherit);
    if (inherit.error() != 0) return inherit.error();
    SIZE_T size = 0;
    ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    alignas(std::max_align_t) char buffer[256];
    if (size > sizeof buffer) return ERROR_INSUFFICIENT_BUFFER;
    auto* attrs = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(buffer);
    if (!::InitializeProcThreadAttributeList(attrs, 1, 0, &size)) return ::GetLastError();
    if (inherit.count() > 0 &&
        !::UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit.data(),
                                     inherit.count() * sizeof(HANDLE), nullptr, nullptr)) {
        const DWORD e = ::GetLastError();
        ::DeleteProcThreadAttributeList(attrs);
        return e;
    }
    STARTUPINFOEXW si{};
    si.StartupInfo.cb = sizeof si;
    si.lpAttributeList = attrs;
    if (spec.std_handles) {
        si.StartupInfo.dwFlags |= STARTF_USESTDHANDLES;
        si.StartupInfo.hStdInput = spec.standard[0];
        si.StartupInfo.hStdOutput = spec.standard[1];
        si.StartupInfo.hStdError = spec.standard[2];
    }
    if (spec.hidden_window) {
        si.StartupInfo.dwFlags |= STARTF_USESHOWWINDOW;
        si.StartupInfo.wShowWindow = SW_HIDE;
    }
    const DWORD flags = spec.flags | CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT;
    const BOOL ok = ::CreateProcessW(spec.application.empty() ? nullptr : spec.application.c_str(),
                                     spec.command_line.data(), nullptr, nullptr, inherit.count() > 0, flags,
                                     spec.environment.empty() ? nullptr : spec.environment.data(), nullptr,
                                     &si.StartupInfo, &created);
    const DWORD error = ok ? 0 : ::GetLastError();
    ::DeleteProcThreadAttributeList(attrs);
    return error;
}

} // namespace daemoniker::detail::win
