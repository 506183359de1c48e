// PID files on POSIX.
//
// The daemon's lock is two locks on one open file description, taken after
// the PID is written and held for the daemon's life:
//   - an exclusive record lock: an open-file-description lock (F_OFD_SETLK,
//     Linux >= 3.15), or a classic fcntl lock where those do not exist. This
//     is what readers test (F_OFD_GETLK, which never takes the lock, so a
//     status query cannot make a starting daemon fail). It needs the file
//     open for writing, so nobody the trust rule excludes can forge it.
//   - flock(2): so that tools which lock with flock(1) see the file in use,
//     and so that processes which change or remove a stale file (a start
//     taking it over, a stop removing it) exclude each other without taking
//     the record lock that readers believe.
// Content is only ever written by a holder of the flock that does not (yet)
// hold the record lock, so while the record lock is held the content is that
// of its daemon: a reader that finds the same content before and after it
// tested the lock knows which process the lock vouches for.
//
// Publishing: a new PID file is written in an unnamed O_TMPFILE inode, locked,
// and only then linked into place, so nobody ever reads an empty or partial
// PID file. Taking over a stale file rewrites it in one pwrite() followed by
// ftruncate(), then locks it.
//
// Trust: a file, or a directory on its path, that a user other than the
// caller and root could have written is refused by every entry point
// (docs/how-it-works.md, "Who may name a process").

#include "pid_file_internal.hpp"
#include "pidfd.hpp"
#include "posix_features.hpp"
#include "sys.hpp"
#include "unique_fd.hpp"

#include <daemoniker/pid_file.hpp>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace daemoniker::detail {
namespace {

constexpr int attempts = 64; // replaced-under-us retries before giving up

// The longest file that can be a PID file: a first line parse_pid() accepts
// and its newline.
constexpr std::size_t max_pid_file = max_pid_line + 1;

void pause_for(long nanoseconds) noexcept {
    const timespec t{0, nanoseconds};
    ::nanosleep(&t, nullptr);
}

// ---- locks -----------------------------------------------------------------

int lock_cmd(bool set) noexcept {
#if DAEMONIKER_HAVE_OFD_LOCKS
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

// The record lock: 0 when taken; EAGAIN/EACCES when another holds a lock
// that conflicts; another errno on error.
int try_lock(int fd) noexcept {
    auto fl = whole_file(F_WRLCK);
    if (sys::retry([&] { return ::fcntl(fd, lock_cmd(true), &fl); }) == 0) return 0;
#if DAEMONIKER_HAVE_OFD_LOCKS
    if (errno == EINVAL) { // kernel without OFD locks
        fl = whole_file(F_WRLCK);
        if (sys::retry([&] { return ::fcntl(fd, F_SETLK, &fl); }) == 0) return 0;
    }
#endif
    return errno;
}

enum class RecordLock { none, exclusive, shared, error };

// Which record lock another process holds on the file, without taking one.
RecordLock record_lock(int fd) noexcept {
    auto fl = whole_file(F_WRLCK);
    if (::fcntl(fd, lock_cmd(false), &fl) == -1) {
#if DAEMONIKER_HAVE_OFD_LOCKS
        if (errno != EINVAL) return RecordLock::error;
        fl = whole_file(F_WRLCK);
        if (::fcntl(fd, F_GETLK, &fl) == -1) return RecordLock::error;
#else
        return RecordLock::error;
#endif
    }
    if (fl.l_type == F_UNLCK) return RecordLock::none;
    return fl.l_type == F_WRLCK ? RecordLock::exclusive : RecordLock::shared;
}

// flock(2) exclusively: 0, EWOULDBLOCK when another holds it, or an errno.
// A reader's test (flocked() below) holds a shared flock for an instant, so
// a refusal is retried for up to `patience_ms` before it counts.
int try_flock(int fd, int patience_ms) noexcept {
    for (int waited = 0;; ++waited) {
        if (sys::retry([&] { return ::flock(fd, LOCK_EX | LOCK_NB); }) == 0) return 0;
        if (errno != EWOULDBLOCK) return errno == EINVAL || errno == ENOLCK || errno == ENOSYS ? 0 : errno;
        if (waited >= patience_ms) return EWOULDBLOCK;
        pause_for(1000000);
    }
}

// Whether another process holds flock(2) on the file exclusively.
bool flocked(int fd) noexcept {
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
        ::flock(fd, LOCK_UN);
        return false;
    }
    return errno == EWOULDBLOCK;
}

// ---- content ---------------------------------------------------------------

struct Content {
    char bytes[max_pid_file + 1];
    std::size_t size = 0; // max_pid_file + 1: longer than any PID file
    bool ok = false;      // read without error
};

Content read_content(int fd) noexcept {
    Content c;
    const auto n = sys::retry([&] { return ::pread(fd, c.bytes, sizeof c.bytes, 0); });
    if (n < 0) return c;
    c.size = static_cast<std::size_t>(n);
    c.ok = true;
    return c;
}

process_id pid_of(const Content& c) noexcept {
    return parse_pid(std::string_view(c.bytes, c.size)).value_or(0);
}

bool same_content(const Content& a, const Content& b) noexcept {
    return a.ok && b.ok && a.size == b.size && std::memcmp(a.bytes, b.bytes, a.size) == 0;
}

// What a stale file may hold to be taken over: nothing, or one PID line.
bool is_pid_file_content(const Content& c) noexcept {
    if (!c.ok || c.size > max_pid_file) return false;
    if (c.size == 0) return true;
    const std::string_view text(c.bytes, c.size);
    const auto newline = text.find('\n');
    if (newline != std::string_view::npos && newline + 1 != text.size()) return false; // a second line
    return parse_pid(text).has_value();
}

process_id read_pid(int fd) noexcept { return pid_of(read_content(fd)); }

int write_pid(int fd, process_id pid) noexcept {
    char buf[32];
    const int len = std::snprintf(buf, sizeof buf, "%lld\n", static_cast<long long>(pid));
    const auto n = sys::retry([&] { return ::pwrite(fd, buf, static_cast<std::size_t>(len), 0); });
    if (n != len) return n < 0 ? errno : EIO;
    if (sys::retry([&] { return ::ftruncate(fd, len); }) == -1) return errno;
    return 0;
}

// ---- processes -------------------------------------------------------------

// True when no process runs under `pid`: none, or one that has exited (a
// zombie). A pidfd polls readable only once the whole thread group has
// exited, so a main thread that ended while other threads run is alive.
bool has_exited(process_id pid) noexcept {
    const UniqueFd pidfd(pidfd_open(static_cast<pid_t>(pid)));
    if (pidfd) return pidfd_exited(pidfd.get());
    if (errno == ESRCH) return true;
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// How long a locked file that names no live process is read again before
// that counts: a start between its lock and its write, or a lock keeper
// between its program's end and the file's removal, is done in microseconds,
// but a loaded machine may not run it for a while (seen: over 100 ms with
// eight restarts at once under AddressSanitizer).
constexpr std::chrono::seconds transition_patience{2};

// Sleeps a growing pause: 0.1 ms, doubling up to 10 ms.
void back_off(long& pause) noexcept {
    pause_for(pause);
    if (pause < 10000000) pause *= 2;
}

// What a start reports when the record lock on `fd` was found taken: the
// holder's PID (> 0); 0 when the lock was released meanwhile (look again);
// -1 when the file names no PID; -2 when it names a process that has exited
// (`pid` says which). While the file names no live process, look again.
process_id read_holder(int fd, process_id& pid) noexcept {
    const auto deadline = std::chrono::steady_clock::now() + transition_patience;
    long pause = 100000;
    pid = read_pid(fd);
    for (;;) {
        // Judged once per look: a holder seen alive is named, even if it ends
        // a moment later (a second look could see a fresh exit and call it
        // a lock that outlived its process).
        if (pid > 0 && !has_exited(pid)) return pid;
        if (std::chrono::steady_clock::now() >= deadline) return pid > 0 ? -2 : -1;
        back_off(pause);
        if (record_lock(fd) == RecordLock::none) return 0;
        pid = read_pid(fd);
    }
}

// ---- trust -----------------------------------------------------------------

bool same_file(const struct stat& a, const struct stat& b) noexcept {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool trusted_owner(uid_t owner) noexcept { return owner == 0 || owner == ::geteuid(); }

// The file itself: nobody but the caller and root can have written it.
errc untrusted(const struct stat& st) noexcept {
    if (!trusted_owner(st.st_uid)) return errc::untrusted_owner;
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return errc::writable_by_others;
    return {};
}

// A directory in which nobody but the caller and root can replace entries
// that belong to them: the sticky bit keeps others from renaming or removing
// what they do not own.
bool trusted_directory(const struct stat& st) noexcept {
    if (!trusted_owner(st.st_uid)) return false;
    return (st.st_mode & (S_IWGRP | S_IWOTH)) == 0 || (st.st_mode & S_ISVTX) != 0;
}

// The first entry from `dir` up to the root that someone else could change:
// a directory that fails the rule, or a symbolic link that is not the
// caller's or root's (its owner could point it anywhere, even in a sticky
// directory such as /tmp, where the link is theirs to replace). Empty when
// there is none.
std::filesystem::path untrusted_ancestor(std::filesystem::path dir) {
    for (;;) {
        struct stat st {};
        if (::lstat(dir.c_str(), &st) == 0) {
            if (S_ISLNK(st.st_mode) && !trusted_owner(st.st_uid)) return dir;
            if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && !trusted_directory(st)) return dir;
        }
        if (!dir.has_relative_path()) return {};
        dir = dir.parent_path();
    }
}

std::filesystem::path untrusted_directory(const std::filesystem::path& file) {
    const auto dir = std::filesystem::absolute(directory_of(file)).lexically_normal();
    // As written: a symbolic link on the way lives in a directory checked here.
    auto bad = untrusted_ancestor(dir);
    if (!bad.empty()) return bad;
    // As resolved: the directories the links lead to.
    std::error_code ec;
    const auto real = std::filesystem::canonical(dir, ec);
    if (ec || real == dir) return {};
    return untrusted_ancestor(real);
}

std::string user_name(uid_t uid) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) return pw.pw_name;
    return {};
}

std::string owner_text(uid_t uid) {
    const auto name = user_name(uid);
    return "uid " + std::to_string(uid) + (name.empty() ? std::string() : " (" + name + ")");
}

int open_tmpfile(const std::filesystem::path& dir) noexcept {
#if DAEMONIKER_HAVE_O_TMPFILE
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
#if DAEMONIKER_HAVE_O_TMPFILE
    char proc[64];
    std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (::linkat(AT_FDCWD, proc, AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) return 0;
    if (errno == ENOENT && ::access("/proc/self/fd", F_OK) != 0) return ENOTSUP;
    return errno;
#else
    (void)fd;
    (void)path;
    return ENOTSUP;
#endif
}

int open_existing(const std::filesystem::path& path, int access) noexcept {
    // O_NONBLOCK: opening a FIFO must not hang; it is refused after fstat.
    return sys::retry([&] { return ::open(path.c_str(), access | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY); });
}

enum class Outcome { held, retry, failed };

} // namespace

std::filesystem::path directory_of(const std::filesystem::path& file) {
    return file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
}

std::error_code check_directories(const std::filesystem::path& file) noexcept {
    try {
        if (!untrusted_directory(file).empty()) return make_error_code(errc::unsafe_directory);
        return {};
    } catch (const std::bad_alloc&) {
        return std::make_error_code(std::errc::not_enough_memory);
    } catch (const std::filesystem::filesystem_error& e) {
        return e.code();
    }
}

namespace {
std::string mode_text(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}
} // namespace

std::error_code check_stream_path(const std::filesystem::path& path) noexcept {
    if (auto ec = check_directories(path)) return ec;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && !trusted_owner(st.st_uid))
        return make_error_code(errc::untrusted_owner);
    return {};
}

std::string refusal_reason(const std::filesystem::path& path, std::error_code code) {
    const std::string quoted = "'" + path.string() + "': ";
    struct stat st {};
    if (code == errc::unsafe_directory) {
        const auto dir = untrusted_directory(path);
        if (!dir.empty() && ::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
            return quoted + "its directory '" + dir.string() + "' is a symbolic link owned by " +
                   owner_text(st.st_uid) + ", a user other than you and root, who could point it anywhere (refused)";
        if (!dir.empty() && ::stat(dir.c_str(), &st) == 0)
            return quoted + "its directory '" + dir.string() + "' (owner " + owner_text(st.st_uid) + ", mode " +
                   mode_text(st.st_mode) +
                   ") may be written by a user other than you and root, who could replace the file (refused)";
    }
    if (code == errc::untrusted_owner && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
        return quoted + "a symbolic link owned by " + owner_text(st.st_uid) +
               ", a user other than you and root, who could point it anywhere (refused)";
    if (code == errc::untrusted_owner && ::lstat(path.c_str(), &st) == 0)
        return quoted + "owned by " + owner_text(st.st_uid) +
               ", a user other than you and root, who could make it name any process (refused)";
    if (code == errc::writable_by_others && ::lstat(path.c_str(), &st) == 0)
        return quoted + "mode " + mode_text(st.st_mode) + ": " + code.message();
    return quoted + describe(code);
}

namespace {

// Takes the daemon's locks on a file that holds its content already: the
// flock (unless the caller holds it), then the record lock. On failure the
// caller closes `fd`, which drops whatever was taken.
Outcome lock_for_daemon(int fd, bool have_flock, Failure& failure) noexcept {
    int e = sys::injected(Step::pid_file_lock);
    if (e == 0 && !have_flock) e = try_flock(fd, 100);
    if (e == EWOULDBLOCK) {
        failure = {Step::pid_file_lock, 0, errc::foreign_lock, 0};
        return Outcome::failed;
    }
    if (e == 0) e = try_lock(fd);
    if (e == EAGAIN || e == EACCES) {
        failure = {Step::pid_file_lock, 0, errc::foreign_lock, 0}; // a shared lock someone else took
        return Outcome::failed;
    }
    if (e != 0) {
        failure = {Step::pid_file_lock, e, {}, 0};
        return Outcome::failed;
    }
    return Outcome::held;
}

// An existing file at `path`, open in `fd`: refused, found in use by a
// daemon, or taken over for `pid` when it is a stale PID file.
Outcome take_over(int fd, const std::filesystem::path& path, process_id pid, Failure& failure,
                  struct stat& st) noexcept {
    auto fail = [&](Step step, int error, errc detail = {}, std::int64_t value = 0) {
        failure = {step, error, detail, value};
        return Outcome::failed;
    };
    if (::fstat(fd, &st) != 0) return fail(Step::pid_file_open, errno);
    if (!S_ISREG(st.st_mode)) return fail(Step::pid_file_open, 0, errc::not_regular_file);
    if (const errc why = untrusted(st); why != errc{}) return fail(Step::pid_file_open, 0, why, st.st_uid);

    // A daemon holds it?
    const RecordLock held = record_lock(fd);
    if (held == RecordLock::error) return fail(Step::pid_file_lock, errno);
    if (held == RecordLock::shared) return fail(Step::pid_file_lock, 0, errc::foreign_lock);
    if (held == RecordLock::exclusive) {
        process_id named = 0;
        const auto holder = read_holder(fd, named);
        if (holder == 0) return Outcome::retry; // released meanwhile: look again
        if (holder == -2) return fail(Step::pid_file_lock, 0, errc::exited_holder, named);
        return fail(Step::pid_file_lock, EAGAIN, {}, holder);
    }

    // Stale, as far as the record lock says. The flock makes this start the
    // only process that changes the file; it is then checked again, under it.
    int e = sys::injected(Step::pid_file_lock);
    if (e == 0) e = try_flock(fd, 100);
    if (e == EWOULDBLOCK) {
        // Another start taking it over, a stop removing it, or flock(1).
        if (record_lock(fd) != RecordLock::none) return Outcome::retry;
        return fail(Step::pid_file_lock, 0, errc::foreign_lock);
    }
    if (e != 0) return fail(Step::pid_file_lock, e);
    if (record_lock(fd) != RecordLock::none) return Outcome::retry;
    // Still the file at `path`? It may have been removed (and maybe recreated)
    // since it was opened.
    struct stat now {};
    if (::lstat(path.c_str(), &now) != 0 || !same_file(now, st)) return Outcome::retry;
    if (::fstat(fd, &st) != 0) return fail(Step::pid_file_open, errno);
    // Only a PID file is taken over: a file with another name for it, or
    // with other content, is somebody's data.
    if (st.st_nlink != 1 || !is_pid_file_content(read_content(fd)))
        return fail(Step::pid_file_open, 0, errc::not_a_pid_file);

    e = sys::injected(Step::pid_file_write);
    if (e == 0) e = write_pid(fd, pid);
    if (e != 0) return fail(Step::pid_file_write, e); // it stays stale: nothing holds it once `fd` is closed
    return lock_for_daemon(fd, true, failure);
}

// No file at `path`: prepares it unnamed in `dir` and links it into place
// (or, without O_TMPFILE, creates it exclusively).
Outcome create(const std::filesystem::path& dir, const std::filesystem::path& path, process_id pid, UniqueFd& fd,
               Failure& failure) noexcept {
    auto fail = [&](Step step, int error, errc detail = {}) {
        failure = {step, error, detail, 0};
        return Outcome::failed;
    };
    fd.reset(open_tmpfile(dir));
    if (fd) {
        int e = sys::injected(Step::pid_file_write);
        if (e == 0) e = write_pid(fd.get(), pid);
        if (e != 0) return fail(Step::pid_file_write, e);
        if (const auto locked = lock_for_daemon(fd.get(), false, failure); locked != Outcome::held) return locked;
        e = link_tmpfile(fd.get(), path);
        if (e == 0) return Outcome::held;
        if (e == EEXIST) return Outcome::retry; // another start won the race; look at its file
        if (e != ENOTSUP) return fail(Step::pid_file_open, e);
        fd.reset();
    } else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
        // EOPNOTSUPP/EISDIR/EINVAL: no O_TMPFILE here; anything else is real.
        return fail(Step::pid_file_open, errno);
    }
    // Without O_TMPFILE: create exclusively; the file is empty (and, to
    // readers, stale) until the write.
    fd.reset(sys::retry([&] {
        return ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
    }));
    if (!fd) return errno == EEXIST ? Outcome::retry : fail(Step::pid_file_open, errno);
    Step step = Step::pid_file_lock;
    int e = sys::injected(step);
    if (e == 0) e = try_flock(fd.get(), 100);
    if (e == EWOULDBLOCK) { // a start that found it empty and stale is taking it over
        fd.reset();
        return Outcome::retry;
    }
    if (e == 0) {
        step = Step::pid_file_write;
        e = sys::injected(step);
    }
    if (e == 0) e = write_pid(fd.get(), pid);
    const auto locked = e == 0 ? lock_for_daemon(fd.get(), true, failure) : Outcome::failed;
    if (e != 0) failure = {step, e, {}, 0};
    if (locked != Outcome::held) ::unlink(path.c_str());
    return locked;
}

} // namespace

bool HeldPidFile::acquire(const std::filesystem::path& path, process_id pid, Failure& failure) noexcept {
    close(); // acquiring again drops what was held
    try {
        path_ = path;
        if (const auto ec = check_directories(path)) {
            failure = Failure::of(Step::pid_file_open, ec);
            return false;
        }
        return acquire_prepared(directory_of(path), pid, failure);
    } catch (const std::bad_alloc&) {
        failure = {Step::pid_file_open, ENOMEM, {}, 0};
        return false;
    }
}

// The daemon's way, between fork and the report: path_ and `dir` were made
// (and the directories checked) before the fork, so nothing here allocates
// or runs std::filesystem code. That is not only about allocation: every
// library function a forked daemon calls for the first time costs a lazy
// symbol binding (the dynamic linker searching the symbol tables of
// libstdc++ and libc) and page faults on code and tables the daemon would
// otherwise never touch (docs/benchmarks.md).
bool HeldPidFile::acquire_prepared(const std::filesystem::path& dir, process_id pid, Failure& failure) noexcept {
    close(); // acquiring again drops what was held
    const std::filesystem::path& path = path_;
    if (int e = sys::injected(Step::pid_file_open)) {
        failure = {Step::pid_file_open, e, {}, 0};
        return false;
    }
    for (int attempt = 0; attempt < attempts; ++attempt) {
        UniqueFd fd(open_existing(path, O_RDWR));
        struct stat st {};
        Outcome outcome = Outcome::failed;
        if (fd) {
            outcome = take_over(fd.get(), path, pid, failure, st);
        } else if (errno == ELOOP) {
            failure = {Step::pid_file_open, ELOOP, errc::symbolic_link, 0};
        } else if (errno == ENXIO || errno == EISDIR) {
            failure = {Step::pid_file_open, errno, errc::not_regular_file, 0};
        } else if (errno != ENOENT) {
            failure = {Step::pid_file_open, errno, {}, 0};
        } else {
            outcome = create(dir, path, pid, fd, failure);
            if (outcome == Outcome::held) ::fstat(fd.get(), &st);
        }
        if (outcome == Outcome::retry) continue;
        if (outcome == Outcome::failed) return false;
        handle_ = fd.release();
        owner_ = pid;
        device_ = static_cast<std::uint64_t>(st.st_dev);
        inode_ = static_cast<std::uint64_t>(st.st_ino);
        return true;
    }
    failure = {Step::pid_file_open, 0, errc::replaced, 0};
    return false;
}

void HeldPidFile::release() noexcept {
    if (handle_ < 0) return;
    // Only the process that wrote its PID removes the file: a child the daemon
    // forked (and that calls exit()) shares the descriptor but not the file.
    if (static_cast<process_id>(::getpid()) == owner_) remove();
    close();
}

void HeldPidFile::remove() noexcept {
    if (handle_ < 0) return;
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_dev) == device_ &&
        static_cast<std::uint64_t>(st.st_ino) == inode_)
        ::unlink(path_.c_str()); // still locked by us: nobody can have taken it over
    close();
}

void HeldPidFile::close() noexcept {
    if (handle_ >= 0) ::close(static_cast<int>(handle_));
    handle_ = -1;
}

namespace {
// Closing the child's copy releases nothing of the parent's: OFD locks and
// flock(2) end with the last descriptor of the open file, which the parent
// keeps. close() is async-signal-safe, as a fork handler must be.
extern "C" void forget_pid_file_in_child() {
    if (HeldPidFile* file = held_for_life()) file->close();
}
} // namespace

void hold_in_this_process_only() noexcept {
    static const bool hooked = ::pthread_atfork(nullptr, nullptr, forget_pid_file_in_child) == 0;
    (void)hooked;
}

void remove_if_abandoned(const std::filesystem::path& path, process_id pid) noexcept {
    if (pid <= 0 || check_directories(path)) return;
    UniqueFd fd(open_existing(path, O_RDONLY));
    if (!fd) return;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || untrusted(st) != errc{} || st.st_nlink != 1) return;
    const Content before = read_content(fd.get());
    if (!is_pid_file_content(before) || pid_of(before) != pid) return;
    // The dead daemon's report pipe can reach EOF a moment before the kernel
    // drops its locks (descriptors close in order at exit): allow a short wait.
    // Holding the flock while unlinking: a start that opened the file before
    // the unlink finds it replaced once it gets the flock, and retries.
    if (try_flock(fd.get(), 2000) != 0 || record_lock(fd.get()) != RecordLock::none) return;
    struct stat now {};
    if (same_content(read_content(fd.get()), before) && ::lstat(path.c_str(), &now) == 0 && same_file(now, st))
        ::unlink(path.c_str());
}

std::error_code read_pid_file(const std::filesystem::path& path, PidFileReading& out) noexcept {
    out = PidFileReading{};
    if (path.empty()) return std::make_error_code(std::errc::invalid_argument);
    if (auto ec = check_directories(path)) return ec;
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + transition_patience;
    long pause = 100000;
    for (;;) {
        UniqueFd fd(open_existing(path, O_RDONLY));
        if (!fd) {
            if (errno == ENOENT) return {};
            if (errno == ELOOP) return make_error_code(errc::symbolic_link);
            if (errno == ENXIO) return make_error_code(errc::not_regular_file);
            return {errno, std::system_category()};
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return {errno, std::system_category()};
        if (!S_ISREG(st.st_mode)) return make_error_code(errc::not_regular_file);
        out.owner = st.st_uid;
        if (const errc why = untrusted(st); why != errc{}) return make_error_code(why);

        const Content first = read_content(fd.get());
        if (!first.ok) return {errno, std::system_category()};
        out.pid = pid_of(first);
        // Pin before the lock test: if the lock is held afterwards, with the
        // content unchanged, the pinned process is the lock's daemon.
        UniqueFd pinned;
        bool gone = out.pid <= 0;
        if (out.pid > 0) {
            pinned.reset(pidfd_open(static_cast<pid_t>(out.pid)));
            if (!pinned) {
                if (errno == ESRCH) gone = true;
                else if (errno != ENOSYS) return {errno, std::system_category()}; // EMFILE, ENOMEM, ...
                else gone = ::kill(static_cast<pid_t>(out.pid), 0) != 0 && errno == ESRCH;
            } else {
                gone = pidfd_exited(pinned.get());
            }
        }
        const RecordLock lock = record_lock(fd.get());
        if (lock == RecordLock::error) return {errno, std::system_category()};
        if (lock == RecordLock::shared) return make_error_code(errc::foreign_lock);
        if (lock == RecordLock::none) {
            if (flocked(fd.get())) {
                // A start or stop changing it for an instant, or flock(1):
                // only the second lasts.
                if (clock::now() < deadline) {
                    back_off(pause);
                    continue;
                }
                return make_error_code(errc::foreign_lock);
            }
            out.state = PidFileState::stale;
            return {};
        }
        struct stat now {};
        const bool same = same_content(read_content(fd.get()), first) && ::lstat(path.c_str(), &now) == 0 &&
                          same_file(now, st);
        if (same && !gone) {
            out.state = PidFileState::running;
            out.pidfd = std::move(pinned);
            return {};
        }
        // Locked, but naming no live process (or changed while we looked):
        // a start between its lock and its write, a daemon removing its file
        // on the way out. Look again, briefly.
        if (clock::now() >= deadline)
            return make_error_code(out.pid > 0 ? errc::exited_holder : errc::malformed_pid_file);
        back_off(pause);
    }
}

} // namespace daemoniker::detail

namespace daemoniker {

PidFileInfo inspect_pid_file(const std::filesystem::path& path, std::error_code& ec) noexcept {
    detail::PidFileReading reading;
    ec = detail::read_pid_file(path, reading);
    if (ec) return {};
    return {reading.state, reading.pid};
}

} // namespace daemoniker
