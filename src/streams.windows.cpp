// Redirecting a standard stream on Windows: the descriptor, the C runtime
// stream and the Win32 standard handle together; and the null device.

#include "streams.hpp"
#include "sys.hpp"
#include "win.hpp"

#include <cstdio>
#include <fcntl.h>
#include <io.h>

namespace daemoniker::detail {

// Binds descriptor 0, 1 or 2, its C runtime stream and the Win32 standard
// handle to `path`. stdin must exist (a missing input is
// ERROR_FILE_NOT_FOUND, not an empty file); stdout and stderr are created if
// missing and appended to with FILE_APPEND_DATA, so concurrent writers never
// overwrite each other; bytes are written as they are, without CRLF
// translation.
int redirect_stream(int target, const std::filesystem::path& path) noexcept {
    FILE* const stream = target == 0 ? stdin : target == 1 ? stdout : stderr;
    const DWORD std_handle = target == 0 ? STD_INPUT_HANDLE : target == 1 ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE;
    const bool write = target != 0;
    HANDLE h = ::CreateFileW(path.c_str(), write ? FILE_APPEND_DATA : GENERIC_READ,
                             FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                             write ? OPEN_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) return static_cast<int>(::GetLastError());
    const int fd = ::_open_osfhandle(reinterpret_cast<std::intptr_t>(h), write ? (_O_WRONLY | _O_APPEND | _O_BINARY)
                                                                              : (_O_RDONLY | _O_BINARY));
    if (fd < 0) {
        ::CloseHandle(h);
        return ERROR_TOO_MANY_OPEN_FILES;
    }
    if (fd != target) {
        const int r = ::_dup2(fd, target);
        ::_close(fd);
        if (r != 0) return ERROR_INVALID_HANDLE;
    }
    if (::_fileno(stream) != target) {
        // A process started without standard handles (a detached one) has
        // its three streams on descriptor -2, and the C runtime refuses to
        // freopen() them.
#if defined(__MINGW32__) && !defined(_UCRT)
        // msvcrt's FILE is a plain struct: revive the stream from a fresh one.
        FILE* fresh = ::_fdopen(target, write ? "ab" : "rb");
        if (fresh == nullptr) return ERROR_INVALID_HANDLE;
        *stream = *fresh;
#else
        FILE* reopened = nullptr;
        if (::_wfreopen_s(&reopened, path.c_str(), write ? L"ab" : L"rb", stream) != 0) return ERROR_OPEN_FAILED;
#endif
    }
    ::SetStdHandle(std_handle, reinterpret_cast<HANDLE>(::_get_osfhandle(target)));
    return 0;
}

std::filesystem::path null_device() { return "NUL"; }

} // namespace daemoniker::detail
