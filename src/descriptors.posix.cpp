// Closing inherited descriptors in the daemon (descriptors.hpp).

#include "descriptors.hpp"

#include "posix_features.hpp"
#include "sys.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace daemoniker::detail {
namespace {

bool kept(int fd, const int* keep, int n) noexcept {
    for (int i = 0; i < n; ++i)
        if (keep[i] == fd) return true;
    return false;
}

// 0 on success, ENOSYS when close_range does not exist here.
int by_close_range(const int* keep, int n) noexcept {
#if DAEMONIKER_HAVE_CLOSE_RANGE
    unsigned lo = 0;
    for (int i = 0; i <= n; ++i) {
        const unsigned hi = i < n ? static_cast<unsigned>(keep[i]) : UINT_MAX;
        if (hi > lo) {
            // The raw system call: glibc gained the wrapper only in 2.34.
            if (::syscall(SYS_close_range, lo, i < n ? hi - 1 : UINT_MAX, 0U) != 0) return errno;
        }
        if (i < n) lo = hi + 1;
    }
    return 0;
#else
    (void)keep;
    (void)n;
    return ENOSYS;
#endif
}

// The directories that list this process's open descriptors. /dev/fd on
// macOS and FreeBSD (with fdescfs mounted; without it, it lists only 0-2,
// which is why a system with /proc asks /proc first); on Linux it is a link
// to /proc/self/fd.
#if DAEMONIKER_HAVE_PROC
constexpr const char* descriptor_dirs[] = {"/proc/self/fd", "/dev/fd"};
#else
constexpr const char* descriptor_dirs[] = {"/dev/fd"};
#endif

// Whether `dir_path` lists every open descriptor. FreeBSD's /dev/fd without
// fdescfs mounted on it is part of devfs and lists only 0-2: closing what it
// lists would leave the others open. (The check Python's subprocess makes.)
bool lists_all(const char* dir_path) noexcept {
#if defined(__FreeBSD__) || defined(__DragonFly__)
    struct stat dev {};
    struct stat fd_dir {};
    if (std::strcmp(dir_path, "/dev/fd") == 0)
        return ::stat("/dev", &dev) == 0 && ::stat(dir_path, &fd_dir) == 0 && dev.st_dev != fd_dir.st_dev;
#else
    (void)dir_path;
#endif
    return true;
}

// 0 on success, ENOENT when no descriptor directory is mounted.
int by_directory(const int* keep, int n) noexcept {
    for (const char* dir_path : descriptor_dirs) {
        if (!lists_all(dir_path)) continue;
        DIR* dir = ::opendir(dir_path);
        if (dir == nullptr) continue;
        const int own = ::dirfd(dir);
        // Closing while reading the directory is well-defined on Linux, but
        // not promised elsewhere: collect a batch, close it, read again.
        for (;;) {
            int batch[256];
            int count = 0;
            ::rewinddir(dir);
            while (count < 256) {
                const dirent* entry = ::readdir(dir);
                if (entry == nullptr) break;
                char* end = nullptr;
                const long fd = std::strtol(entry->d_name, &end, 10);
                if (end == entry->d_name || *end != '\0') continue; // "." and ".."
                const int f = static_cast<int>(fd);
                if (f != own && !kept(f, keep, n)) batch[count++] = f;
            }
            if (count == 0) break;
            for (int i = 0; i < count; ++i) ::close(batch[i]);
        }
        ::closedir(dir);
        return 0;
    }
    return ENOENT;
}

int by_polling(const int* keep, int n, int fallback_limit) noexcept {
    struct rlimit rl {};
    long limit = fallback_limit;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        limit = static_cast<long>(rl.rlim_cur < static_cast<rlim_t>(INT_MAX) ? rl.rlim_cur : INT_MAX);
    constexpr int chunk = 1024;
    struct pollfd fds[chunk];
    for (long base = 0; base < limit; base += chunk) {
        int count = 0;
        for (long fd = base; fd < limit && count < chunk; ++fd, ++count) fds[count] = {static_cast<int>(fd), 0, 0};
        // With a zero timeout, poll() marks every closed descriptor POLLNVAL:
        // one system call tells which of 1024 descriptors are open.
        if (sys::retry([&] { return ::poll(fds, static_cast<nfds_t>(count), 0); }) < 0) return errno;
        for (int i = 0; i < count; ++i)
            if ((fds[i].revents & POLLNVAL) == 0 && !kept(fds[i].fd, keep, n)) ::close(fds[i].fd);
    }
    return 0;
}

} // namespace

int close_inherited(const int* keep, int keep_count, int fallback_limit) noexcept {
    if (int e = sys::injected(Step::close_fds)) return e;
    int e = by_close_range(keep, keep_count);
    if (e != ENOSYS && e != EINVAL && e != EPERM) return e; // EPERM: seccomp filters that forbid it
    if (by_directory(keep, keep_count) == 0) return 0;
    return by_polling(keep, keep_count, fallback_limit);
}

} // namespace daemoniker::detail
