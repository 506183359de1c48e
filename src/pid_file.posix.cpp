// PID files on POSIX.
//
// Locking: an open-file-description lock (F_OFD_SETLK, Linux >= 3.15) on the
// whole file, falling back to a classic fcntl record lock where OFD locks do
// not exist. OFD locks belong to the open file, so they survive exec (the CLI
// relies on that) and are not dropped when some other descriptor of the same
// file is closed in the process — the trap of classic record locks. Checks
// use F_OFD_GETLK, which tests the lock without taking it, so a status query
// can never make a starting daemon fail.
//
// Publishing: a new PID file is written in an unnamed O_TMPFILE inode, locked,
// and only then linked into place, so nobody ever reads an empty or partial
// PID file. Taking over a stale file rewrites it in one pwrite() followed by
// ftruncate(): a concurrent reader sees the new first line at once.

#include "pid_file.hpp"
#include "sys.hpp"

#include <daemoniker/pid_file.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <utility>

namespace daemoniker::detail {
namespace {

constexpr int attempts = 64; // replaced-under-us retries before giving up

int lock_cmd(bool set) noexcept {
#ifdef F_OFD_SETLK
    return set ? F_OFD_SETLK : F_OFD_GETLK;
#else
    return set ? F_SETLK : F_GETLK;
#endif
}

struct flock whole_file(short type) noexcept {
    struct flock fl {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0; // to the end, however large the file grows
    fl.l_pid = 0; // required by OFD locks
    return fl;
}

// 0 when locked; EAGAIN/EACCES when someone else holds it; another errno on error.
int try_lock(int fd) noexcept {
    auto fl = whole_file(F_WRLCK);
    if (sys::retry([&] { return ::fcntl(fd, lock_cmd(true), &fl); }) == 0) return 0;
#ifdef F_OFD_SETLK
    if (errno == EINVAL) { // kernel without OFD locks
        fl = whole_file(F_WRLCK);
        if (sys::retry([&] { return ::fcntl(fd, F_SETLK, &fl); }) == 0) return 0;
    }
#endif
    return errno;
}

// 1 locked by someone, 0 free, -1 error (errno set).
int probe_lock(int fd) noexcept {
    auto fl = whole_file(F_WRLCK);
    if (::fcntl(fd, lock_cmd(false), &fl) == -1) {
#ifdef F_OFD_GETLK
        if (errno != EINVAL) return -1;
        fl = whole_file(F_WRLCK);
        if (::fcntl(fd, F_GETLK, &fl) == -1) return -1;
#else
        return -1;
#endif
    }
    return fl.l_type == F_UNLCK ? 0 : 1;
}

process_id read_pid(int fd) noexcept {
    char buf[64];
    const auto n = sys::retry([&] { return ::pread(fd, buf, sizeof buf, 0); });
    if (n <= 0) return 0;
    return parse_pid(std::string_view(buf, static_cast<std::size_t>(n))).value_or(0);
}

// True when no process runs under `pid` (none, or a zombie). A pidfd polls
// readable once its process has exited, zombies included.
bool has_exited(process_id pid) noexcept {
#ifdef SYS_pidfd_open
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
    if (pidfd >= 0) {
        pollfd p{pidfd, POLLIN, 0};
        const int ready = ::poll(&p, 1, 0);
        ::close(pidfd);
        return ready == 1;
    }
    if (errno == ESRCH) return true;
#endif
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// The PID to name in "already running (pid N)" once the lock on `fd` was
// found taken: -1 when the file names none, 0 when the lock was released
// meanwhile (try again). A start that has just taken over a stale file holds
// the lock for a moment before it rewrites the file, which meanwhile still
// names the dead daemon (or nothing valid); so does a remove_if_abandoned()
// that is about to unlink it. While the file names no live process, look
// again, for at most ~100 ms. (Found by the racing-takeover test: 1 loser in
// ~150 rounds of 32 named the dead daemon.)
process_id read_holder(int fd) noexcept {
    process_id pid = read_pid(fd);
    for (int i = 0; i < 1000 && (pid <= 0 || has_exited(pid)); ++i) {
        const timespec pause{0, 100000};
        ::nanosleep(&pause, nullptr);
        if (probe_lock(fd) == 0) return 0;
        pid = read_pid(fd);
    }
    return pid > 0 ? pid : -1;
}

int write_pid(int fd, process_id pid) noexcept {
    char buf[32];
    const int len = std::snprintf(buf, sizeof buf, "%lld\n", static_cast<long long>(pid));
    const auto n = sys::retry([&] { return ::pwrite(fd, buf, static_cast<std::size_t>(len), 0); });
    if (n != len) return n < 0 ? errno : EIO;
    if (sys::retry([&] { return ::ftruncate(fd, len); }) == -1) return errno;
    return 0;
}

bool same_file(const struct stat& a, const struct stat& b) noexcept {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int open_tmpfile(const std::filesystem::path& dir) noexcept {
#ifdef O_TMPFILE
    return ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
#else
    (void)dir;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

// Links the unnamed file `fd` at `path`: 0, EEXIST when someone was faster,
// ENOTSUP when this system cannot (no /proc), another errno on error.
int link_tmpfile(int fd, const std::filesystem::path& path) noexcept {
    char proc[64];
    std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (::linkat(AT_FDCWD, proc, AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) return 0;
    if (errno == ENOENT && ::access("/proc/self/fd", F_OK) != 0) return ENOTSUP;
    return errno;
}

} // namespace

std::filesystem::path directory_of(const std::filesystem::path& file) {
    return file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
}

namespace {
// A directory anyone may write to is refused unless it has the sticky bit:
// there any user could swap the PID file for one naming their own process.
bool safe_directory(const std::filesystem::path& dir) noexcept {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return true; // the open that follows reports the real error
    return (st.st_mode & S_IWOTH) == 0 || (st.st_mode & S_ISVTX) != 0;
}
} // namespace

bool in_safe_directory(const std::filesystem::path& file) noexcept { return safe_directory(directory_of(file)); }

bool HeldPidFile::acquire(const std::filesystem::path& path, process_id pid, PidFileFailure& failure) noexcept {
    close(); // acquiring again drops what was held
    path_ = path;
    return acquire_prepared(directory_of(path), pid, failure);
}

// The daemon's way, between fork and the report: path_ and `dir` were made
// before the fork, so nothing here allocates or runs std::filesystem code.
// That is not only about allocation: every library function a forked daemon
// calls for the first time costs a lazy symbol binding (the dynamic linker
// searching the symbol tables of libstdc++ and libc) and page faults on code
// and tables the daemon would otherwise never touch (docs/benchmarks.md).
bool HeldPidFile::acquire_prepared(const std::filesystem::path& dir, process_id pid, PidFileFailure& failure) noexcept {
    auto fail = [&](Step step, int error, errc detail = {}, process_id holder = 0) {
        failure = {step, error, detail, holder};
        return false;
    };
    close(); // acquiring again drops what was held
    const std::filesystem::path& path = path_;
    if (int e = sys::injected(Step::pid_file_open)) return fail(Step::pid_file_open, e);
    if (!safe_directory(dir)) return fail(Step::pid_file_open, 0, errc::unsafe_directory);

    for (int attempt = 0; attempt < attempts; ++attempt) {
        // O_NONBLOCK: opening a FIFO must not hang; it is refused below anyway.
        int fd = sys::retry([&] { return ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY); });
        if (fd >= 0) {
            struct stat st {};
            if (::fstat(fd, &st) != 0) {
                const int e = errno;
                ::close(fd);
                return fail(Step::pid_file_open, e);
            }
            if (!S_ISREG(st.st_mode)) {
                ::close(fd);
                return fail(Step::pid_file_open, 0, errc::not_regular_file);
            }
            int e = sys::injected(Step::pid_file_lock);
            if (e == 0) e = try_lock(fd);
            if (e == EAGAIN || e == EACCES) {
                const auto holder = read_holder(fd);
                ::close(fd);
                if (holder == 0) continue; // released meanwhile: look again
                return fail(Step::pid_file_lock, e, {}, holder);
            }
            if (e != 0) {
                ::close(fd);
                return fail(Step::pid_file_lock, e);
            }
            // Locked a stale file. Make sure it is still the file at `path`: it
            // may have been removed (and maybe recreated) since we opened it.
            struct stat now {};
            if (::lstat(path.c_str(), &now) != 0 || !same_file(now, st)) {
                ::close(fd);
                continue;
            }
            // A stale file left world- or group-writable is tightened, never loosened.
            if ((st.st_mode & 022) != 0 && ::fchmod(fd, st.st_mode & 07755 & ~static_cast<mode_t>(022)) != 0) {
                e = errno;
                ::close(fd);
                return fail(Step::pid_file_open, e);
            }
            e = sys::injected(Step::pid_file_write);
            if (e == 0) e = write_pid(fd, pid);
            if (e != 0) {
                ::close(fd); // a stale file stays stale: its lock is released with the descriptor
                return fail(Step::pid_file_write, e);
            }
            handle_ = fd;
            owner_ = pid;
            device_ = static_cast<std::uint64_t>(st.st_dev);
            inode_ = static_cast<std::uint64_t>(st.st_ino);
            return true;
        }
        if (errno == ELOOP) return fail(Step::pid_file_open, ELOOP, errc::symbolic_link);
        if (errno == ENXIO || errno == EISDIR) return fail(Step::pid_file_open, errno, errc::not_regular_file);
        if (errno != ENOENT) return fail(Step::pid_file_open, errno);

        // No file yet: prepare it unnamed, then publish it with link().
        bool linked = false;
        fd = open_tmpfile(dir);
        if (fd >= 0) {
            int e = sys::injected(Step::pid_file_lock);
            if (e == 0) e = try_lock(fd);
            if (e != 0) {
                ::close(fd);
                return fail(Step::pid_file_lock, e);
            }
            e = sys::injected(Step::pid_file_write);
            if (e == 0) e = write_pid(fd, pid);
            if (e != 0) {
                ::close(fd);
                return fail(Step::pid_file_write, e);
            }
            e = link_tmpfile(fd, path);
            if (e == EEXIST) {
                ::close(fd);
                continue; // another start won the race; look at its file
            }
            if (e != 0 && e != ENOTSUP) {
                ::close(fd);
                return fail(Step::pid_file_open, e);
            }
            if (e == ENOTSUP) {
                ::close(fd);
                fd = -1;
            } else {
                linked = true;
            }
        } else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
            // EOPNOTSUPP/EISDIR/EINVAL: no O_TMPFILE here; anything else is real.
            return fail(Step::pid_file_open, errno);
        }
        if (!linked) {
            // Fallback without O_TMPFILE: create exclusively; the file is
            // empty until the write below.
            fd = sys::retry([&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644); });
            if (fd < 0) {
                if (errno == EEXIST) continue;
                return fail(Step::pid_file_open, errno);
            }
            int e = sys::injected(Step::pid_file_lock);
            if (e == 0) e = try_lock(fd);
            if (e == EAGAIN || e == EACCES) { // someone took it over between create and lock
                const auto holder = read_holder(fd);
                ::close(fd);
                if (holder == 0) continue; // released meanwhile: look again
                return fail(Step::pid_file_lock, e, {}, holder);
            }
            if (e == 0) e = sys::injected(Step::pid_file_write);
            if (e == 0) e = write_pid(fd, pid);
            if (e != 0) {
                ::unlink(path.c_str());
                ::close(fd);
                return fail(Step::pid_file_write, e);
            }
        }
        struct stat st {};
        ::fstat(fd, &st);
        handle_ = fd;
        owner_ = pid;
        device_ = static_cast<std::uint64_t>(st.st_dev);
        inode_ = static_cast<std::uint64_t>(st.st_ino);
        return true;
    }
    return fail(Step::pid_file_open, 0, errc::replaced);
}

void HeldPidFile::release() noexcept {
    if (handle_ < 0) return;
    // Only the process that wrote its PID removes the file: a child the daemon
    // forked (and that calls exit()) shares the descriptor but not the file.
    if (static_cast<process_id>(::getpid()) == owner_) {
        struct stat st {};
        if (::lstat(path_.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_dev) == device_ &&
            static_cast<std::uint64_t>(st.st_ino) == inode_)
            ::unlink(path_.c_str()); // still locked by us: nobody can have taken it over
    }
    close();
}

void HeldPidFile::close() noexcept {
    if (handle_ >= 0) ::close(static_cast<int>(handle_));
    handle_ = -1;
}

void remove_if_abandoned(const std::filesystem::path& path, process_id pid) noexcept {
    const int fd = sys::retry([&] { return ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY); });
    if (fd < 0) return;
    struct stat st {};
    struct stat now {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || read_pid(fd) != pid) {
        ::close(fd);
        return;
    }
    // The dead daemon's report pipe can reach EOF a moment before the kernel
    // drops its lock (descriptors close in order at exit): allow a short wait.
    int locked = try_lock(fd);
    for (int i = 0; i < 2000 && (locked == EAGAIN || locked == EACCES); ++i) {
        const timespec ms{0, 1000000};
        ::nanosleep(&ms, nullptr);
        locked = try_lock(fd);
    }
    // Holding the lock while unlinking: a start that opened the file before
    // the unlink finds it replaced after locking, and retries.
    if (locked == 0 && read_pid(fd) == pid && ::lstat(path.c_str(), &now) == 0 && same_file(now, st))
        ::unlink(path.c_str());
    ::close(fd);
}

} // namespace daemoniker::detail

namespace daemoniker {

PidFileInfo inspect_pid_file(const std::filesystem::path& path, std::error_code& ec) noexcept {
    ec.clear();
    if (path.empty()) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    const int fd = detail::sys::retry([&] { return ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY); });
    if (fd < 0) {
        if (errno == ENOENT) return {PidFileState::absent, 0};
        ec = errno == ELOOP ? make_error_code(errc::symbolic_link) : std::error_code(errno, std::system_category());
        return {};
    }
    PidFileInfo info;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ec.assign(errno, std::system_category());
    } else if (!S_ISREG(st.st_mode)) {
        ec = make_error_code(errc::not_regular_file);
    } else if (!detail::in_safe_directory(path)) {
        ec = make_error_code(errc::unsafe_directory);
    } else {
        const int locked = detail::probe_lock(fd);
        if (locked < 0) {
            ec.assign(errno, std::system_category());
        } else {
            info.state = locked == 1 ? PidFileState::running : PidFileState::stale;
            info.pid = detail::read_pid(fd);
        }
    }
    ::close(fd);
    return ec ? PidFileInfo{} : info;
}

} // namespace daemoniker
