// PID files on Windows.
//
// The daemon keeps its PID file open for its whole life, sharing reading (and
// deleting, as any POSIX directory allows) but not writing: nobody else can
// open it for writing. It does not ask for DELETE access itself, so ordinary
// readers (which do not share deletion) can open it. It holds LockFileEx on one
// byte at offset 2^40, far past the content: real Windows blocks reads of a
// locked range, so the bytes readers need are never locked. Both go away when
// the process dies, however it dies.
//
// Content: the PID on the first line (what `kill`-style tools read), the
// process creation time on the second. The creation time names the daemon's
// signal pipe, so a PID reused by another process never matches.
//
// Trust: a stale file is taken over only if it is empty or holds exactly
// that content, and has a single link; anything else may be a file the user
// needs (a mistyped path), so it is refused and left as it is. A file whose
// DACL lets other users write it is not believed by any entry point: they
// could make it name any process. So a new file gets a DACL of its own
// rather than what its directory passes on (see private_descriptor()).

#include "pid_file_internal.hpp"
#include "sys.hpp"
#include "win.hpp"

#include <daemoniker/pid_file.hpp>

#include <aclapi.h>
#include <sddl.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace daemoniker::detail {
namespace {

constexpr DWORD lock_offset_high = 0x100; // offset 2^40

bool lock(HANDLE h) noexcept {
    OVERLAPPED at{};
    at.OffsetHigh = lock_offset_high;
    return ::LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &at) != 0;
}

void unlock(HANDLE h) noexcept {
    OVERLAPPED at{};
    at.OffsetHigh = lock_offset_high;
    ::UnlockFileEx(h, 0, 1, 0, &at);
}

// 1 locked by someone else, 0 free, -1 error. Briefly takes the lock: Windows
// has no way to test a lock without taking it (acquire() retries a moment
// when it meets such a probe).
int probe(HANDLE h) noexcept {
    if (lock(h)) {
        unlock(h);
        return 0;
    }
    return ::GetLastError() == ERROR_LOCK_VIOLATION ? 1 : -1;
}

// More than any daemoniker PID file holds (63 + 20 digits and two line ends).
constexpr DWORD head_size = 128;

std::string read_head(HANDLE h) noexcept {
    char buf[head_size];
    DWORD got = 0;
    OVERLAPPED at{}; // read from offset 0 whatever the file pointer
    if (!::ReadFile(h, buf, sizeof buf, &got, &at)) return {};
    return std::string(buf, got);
}

// Why a handle is not a plain file, or no error.
// (FileAttributeTagInfo, not GetFileInformationByHandle: the latter also
// queries the volume, which costs Wine a quarter of a millisecond.)
errc kind_error(HANDLE h) noexcept {
    FILE_ATTRIBUTE_TAG_INFO info{};
    if (!::GetFileInformationByHandleEx(h, FileAttributeTagInfo, &info, sizeof info)) return errc::not_regular_file;
    if ((info.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) return errc::symbolic_link;
    if ((info.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) return errc::not_regular_file;
    if (::GetFileType(h) != FILE_TYPE_DISK) return errc::not_regular_file;
    return {};
}

// The creation-time line: 1 to 20 digits, then an optional CR and LF, then
// the end of the file. An empty rest (the file ended after the PID line)
// is fine too.
bool is_creation_line(std::string_view rest) noexcept {
    std::size_t i = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
    if (i == 0 || i > 20) return rest.empty();
    if (i < rest.size() && rest[i] == '\r') ++i;
    if (i < rest.size() && rest[i] == '\n') ++i;
    return i == rest.size();
}

// Whether `text` (a whole file) is what acquire() writes, or nothing.
bool is_pid_file_text(std::string_view text) noexcept {
    if (text.empty()) return true;
    if (!parse_pid(text)) return false;
    const auto nl = text.find('\n');
    return nl == std::string_view::npos || is_creation_line(text.substr(nl + 1));
}

// Whether the file open as `h` may be taken over or removed as a PID file:
// one link (another name would keep pointing at what we write, or lose what
// we remove), and PID-file content only. Reads it from offset 0 without
// changing it.
bool holds_pid_file(HANDLE h) noexcept {
    BY_HANDLE_FILE_INFORMATION info{};
    if (!::GetFileInformationByHandle(h, &info) || info.nNumberOfLinks != 1) return false;
    if (info.nFileSizeHigh != 0 || info.nFileSizeLow >= head_size) return false;
    const std::string text = read_head(h);
    return text.size() == info.nFileSizeLow && is_pid_file_text(text);
}

// errc::writable_by_others when the file's DACL lets other users write it,
// a system error when the DACL cannot be read. (The handle needs READ_CONTROL,
// which GENERIC_READ includes.)
std::error_code trust_error(HANDLE h) noexcept {
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR sd = nullptr;
    const DWORD e =
        ::GetSecurityInfo(h, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl, nullptr, &sd);
    if (e != ERROR_SUCCESS) return {static_cast<int>(e), std::system_category()};
    const bool writable = win::lets_others_write(dacl);
    ::LocalFree(sd);
    return writable ? make_error_code(errc::writable_by_others) : std::error_code{};
}

struct LocalFreer {
    void operator()(void* p) const noexcept { ::LocalFree(p); }
};
using LocalPtr = std::unique_ptr<void, LocalFreer>;

// The security descriptor a new PID file is created with: a protected DACL
// giving SYSTEM, Administrators and the caller full access and everyone
// reading (as 0644 does on POSIX). Not the directory's inheritable ACEs:
// C:\ passes Authenticated Users Modify on to everything created below it,
// which would make the file one that no reader believes. Null when it
// cannot be built (the file then inherits, and readers judge it as usual).
LocalPtr private_descriptor() noexcept {
    const std::wstring sid = win::caller_sid();
    if (sid.empty()) return nullptr;
    const std::wstring sddl = L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;" + sid + L")(A;;FR;;;WD)";
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &sd, nullptr))
        return nullptr;
    return LocalPtr(sd);
}


bool names_directory(const std::filesystem::path& path) noexcept {
    const DWORD a = ::GetFileAttributesW(path.c_str());
    return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

win::Handle open_for_reading(const std::filesystem::path& path) noexcept {
    return win::Handle(::CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                     nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
                                     nullptr));
}

// Deletes `path` if it is still the file open as `held`, through a second
// handle with DELETE access (the lifetime handle has none, so that ordinary
// readers, which do not share deletion, can open the file). A reader that
// has it open delays this for a moment.
void delete_file(const std::filesystem::path& path, HANDLE held) noexcept {
    for (int attempt = 0; attempt < 50; ++attempt) {
        win::Handle del(::CreateFileW(path.c_str(), DELETE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                      nullptr, OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
        if (!del.valid()) {
            if (::GetLastError() != ERROR_SHARING_VIOLATION) return;
            ::Sleep(2);
            continue;
        }
        if (win::same_file(held, del.get())) {
            FILE_DISPOSITION_INFO disposition{};
            disposition.DeleteFile = TRUE;
            ::SetFileInformationByHandle(del.get(), FileDispositionInfo, &disposition, sizeof disposition);
        }
        return;
    }
}

process_id holder_of(const std::filesystem::path& path) noexcept {
    auto h = open_for_reading(path);
    return h.valid() ? parse_pid(read_head(h.get())).value_or(0) : 0;
}

} // namespace

bool HeldPidFile::acquire(const std::filesystem::path& path, process_id pid, Failure& failure) noexcept {
    auto fail = [&](Step step, DWORD error, errc detail = {}, process_id holder = 0) {
        failure = {step, static_cast<int>(error), detail, holder};
        return false;
    };
    auto fail_code = [&](Step step, std::error_code ec) {
        if (ec.category() == category()) return fail(step, 0, static_cast<errc>(ec.value()));
        return fail(step, static_cast<DWORD>(ec.value()));
    };
    close();
    if (int e = sys::injected(Step::pid_file_open)) return fail(Step::pid_file_open, static_cast<DWORD>(e));
    if (names_directory(path)) return fail(Step::pid_file_open, 0, errc::not_regular_file);

    const LocalPtr descriptor = private_descriptor();
    SECURITY_ATTRIBUTES attributes{sizeof attributes, descriptor.get(), FALSE}; // used only if the file is created
    for (int attempt = 0; attempt < 200; ++attempt) {
        win::Handle h(::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_DELETE,
                                    &attributes, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
                                    nullptr));
        if (!h.valid()) {
            const DWORD e = ::GetLastError();
            if (e != ERROR_SHARING_VIOLATION) return fail(Step::pid_file_open, e);
            // Someone has it open for writing: a live daemon, or one starting.
            auto r = open_for_reading(path);
            if (r.valid() && probe(r.get()) == 1) {
                const auto holder = parse_pid(read_head(r.get())).value_or(0);
                return fail(Step::pid_file_lock, ERROR_LOCK_VIOLATION, {}, holder > 0 ? holder : -1);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            continue;
        }
        const bool created = ::GetLastError() != ERROR_ALREADY_EXISTS;
        // A file this attempt created is removed again if a later step fails.
        auto fail_created = [&](Step step, DWORD error) {
            if (created) delete_file(path, h.get());
            return fail(step, error);
        };
        if (const errc k = kind_error(h.get()); k != errc{}) return fail(Step::pid_file_open, 0, k);
        if (int e = sys::injected(Step::pid_file_lock)) return fail_created(Step::pid_file_lock, static_cast<DWORD>(e));
        if (!lock(h.get())) {
            // We hold the only writable handle, so no daemon owns this file:
            // the lock is a passing probe of inspect_pid_file(). Try again.
            if (::GetLastError() != ERROR_LOCK_VIOLATION) return fail_created(Step::pid_file_lock, ::GetLastError());
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            continue;
        }
        if (!created) {
            // A stale file that is not ours to overwrite: refused, left as it is.
            if (!holds_pid_file(h.get())) return fail(Step::pid_file_open, 0, errc::not_a_pid_file);
            if (const auto t = trust_error(h.get())) return fail_code(Step::pid_file_open, t);
        }
        if (int e = sys::injected(Step::pid_file_write)) return fail_created(Step::pid_file_write, static_cast<DWORD>(e));
        const std::string text = std::to_string(pid) + "\n" + std::to_string(win::creation_time(::GetCurrentProcess())) + "\n";
        DWORD written = 0;
        OVERLAPPED at{};
        if (!::WriteFile(h.get(), text.data(), static_cast<DWORD>(text.size()), &written, &at) || written != text.size())
            return fail_created(Step::pid_file_write, ::GetLastError());
        FILE_END_OF_FILE_INFO end{};
        end.EndOfFile.QuadPart = static_cast<LONGLONG>(text.size());
        if (!::SetFileInformationByHandle(h.get(), FileEndOfFileInfo, &end, sizeof end))
            return fail_created(Step::pid_file_write, ::GetLastError());
        path_ = path;
        handle_ = reinterpret_cast<std::intptr_t>(h.release());
        owner_ = pid;
        return true;
    }
    return fail(Step::pid_file_lock, ERROR_LOCK_VIOLATION, {}, holder_of(path) > 0 ? holder_of(path) : -1);
}

void HeldPidFile::release() noexcept {
    if (handle_ == -1) return;
    if (static_cast<process_id>(::GetCurrentProcessId()) == owner_) delete_file(path_, reinterpret_cast<HANDLE>(handle_));
    close();
}

void HeldPidFile::close() noexcept {
    if (handle_ != -1) ::CloseHandle(reinterpret_cast<HANDLE>(handle_));
    handle_ = -1;
}

void remove_if_abandoned(const std::filesystem::path& path, process_id pid) noexcept {
    // The daemon was terminated just now; its handle closes a moment later.
    for (int attempt = 0; attempt < 500; ++attempt) {
        win::Handle h(::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE | DELETE, FILE_SHARE_READ, nullptr,
                                    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
        if (!h.valid()) {
            if (::GetLastError() != ERROR_SHARING_VIOLATION) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            continue;
        }
        if (kind_error(h.get()) != errc{} || !lock(h.get())) return;
        // Only a PID file that the trust rule believes: anything else is not ours to remove.
        if (holds_pid_file(h.get()) && !trust_error(h.get()) && parse_pid(read_head(h.get())).value_or(0) == pid) {
            FILE_DISPOSITION_INFO del{};
            del.DeleteFile = TRUE;
            ::SetFileInformationByHandle(h.get(), FileDispositionInfo, &del, sizeof del);
        }
        return;
    }
}

/// The creation time on the second line of a PID file, 0 if absent.
std::uint64_t pid_file_creation_time(std::string_view head) noexcept {
    const auto nl = head.find('\n');
    if (nl == std::string_view::npos) return 0;
    std::uint64_t v = 0;
    for (std::size_t i = nl + 1; i < head.size() && head[i] >= '0' && head[i] <= '9'; ++i) v = v * 10 + static_cast<std::uint64_t>(head[i] - '0');
    return v;
}

/// Reads the head of a PID file and whether it is locked (for send()).
std::error_code read_pid_file(const std::filesystem::path& path, std::string& head, bool& locked) noexcept {
    auto h = open_for_reading(path);
    if (!h.valid()) {
        const DWORD e = ::GetLastError();
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) return make_error_code(errc::not_running);
        if (e == ERROR_ACCESS_DENIED && names_directory(path)) return make_error_code(errc::not_regular_file);
        return {static_cast<int>(e), std::system_category()};
    }
    if (const errc k = kind_error(h.get()); k != errc{}) return make_error_code(k);
    if (const auto t = trust_error(h.get())) return t;
    head = read_head(h.get());
    const int p = probe(h.get());
    if (p < 0) return win::last_error();
    locked = p == 1;
    return {};
}

} // namespace daemoniker::detail

namespace daemoniker {

PidFileInfo inspect_pid_file(const std::filesystem::path& path, std::error_code& ec) noexcept {
    ec.clear();
    if (path.empty()) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    std::string head;
    bool locked = false;
    ec = detail::read_pid_file(path, head, locked);
    if (ec == errc::not_running) {
        ec.clear();
        return {PidFileState::absent, 0};
    }
    if (ec) return {};
    return {locked ? PidFileState::running : PidFileState::stale, parse_pid(head).value_or(0)};
}

} // namespace daemoniker

namespace daemoniker::detail {

std::string refusal_reason(const std::filesystem::path& path, std::error_code code) {
    return "'" + path.string() + "': " + describe(code);
}

// Windows has no symbolic links a less privileged user can plant where the
// daemon's streams go (creating one needs a privilege), and no directory
// rule of this kind.
std::error_code check_stream_path(const std::filesystem::path&) noexcept { return {}; }

void hold_in_this_process_only() noexcept {}

} // namespace daemoniker::detail
