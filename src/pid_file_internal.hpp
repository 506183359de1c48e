#pragma once
// The PID file as the daemon holds it: created without following links,
// locked for the daemon's whole life, published only once its content is
// written, removed at normal exit.

#include "startup.hpp"

#include <daemoniker/errors.hpp>
#include <daemoniker/pid_file.hpp>

#ifndef _WIN32
#include "unique_fd.hpp"
#endif

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace daemoniker::detail {

/// A locked PID file. Everything here is usable between fork and the report:
/// no exceptions; acquire() copies the path, acquire_prepared() allocates
/// nothing (the path was copied by the constructor, before forking).
class HeldPidFile {
public:
    HeldPidFile() = default;
    /// Holds nothing yet; for acquire_prepared().
    explicit HeldPidFile(const std::filesystem::path& path);
    HeldPidFile(const HeldPidFile&) = delete;
    HeldPidFile& operator=(const HeldPidFile&) = delete;
    HeldPidFile(HeldPidFile&& other) noexcept;
    HeldPidFile& operator=(HeldPidFile&& other) noexcept;
    ~HeldPidFile();

    /// Creates or takes over `path` for process `pid`, locks it and writes the
    /// PID. On failure fills `failure` and returns false, holding nothing.
    bool acquire(const std::filesystem::path& path, process_id pid, Failure& failure) noexcept;

#ifndef _WIN32
    /// acquire() of the path given to the constructor, whose directory_of()
    /// is `dir`: the daemon's way between fork and the report, where it runs
    /// no std::filesystem code and allocates nothing.
    bool acquire_prepared(const std::filesystem::path& dir, process_id pid, Failure& failure) noexcept;
#endif

    /// Removes the file if it is still the one we locked and this is the
    /// owning process, then closes it (which drops the lock).
    void release() noexcept;

#ifndef _WIN32
    /// Removes the file if it is still the one we locked, whoever runs this,
    /// then closes it: the lock-keeping process of the command, whose
    /// PID file names its child.
    void remove() noexcept;
#endif

    /// Closes without removing (the file stays, its lock goes with the descriptor).
    void close() noexcept;


    /// The descriptor (POSIX) or HANDLE (Windows) as an integer.
    [[nodiscard]] std::intptr_t native_handle() const noexcept { return handle_; }
    [[nodiscard]] bool held() const noexcept { return handle_ != -1; }

private:
    std::filesystem::path path_;
    std::intptr_t handle_ = -1; // -1 is also INVALID_HANDLE_VALUE
    process_id owner_ = 0;
    std::uint64_t device_ = 0;
    std::uint64_t inode_ = 0;
};

/// Keeps `file` for the rest of the process's life and removes it when the
/// process exits normally (exit(), return from main) or terminates through
/// an uncaught exception.
void keep_for_life(HeldPidFile&& file) noexcept;

/// Before forking: the storage keep_for_life() keeps its file in, made a
/// HeldPidFile for `path` that holds nothing yet, so that the daemon can
/// acquire_prepared() it and keep it in place, without moving a path (which
/// runs libstdc++ code) after the fork. nullptr when the storage cannot be
/// allocated or holds this process's own PID file. Throws std::bad_alloc.
HeldPidFile* prepare_for_life(const std::filesystem::path& path);

/// The daemon's held PID file, or nullptr.
HeldPidFile* held_for_life() noexcept;

#ifndef _WIN32
/// The directory a PID file is created in: its parent, or "." for a bare name.
std::filesystem::path directory_of(const std::filesystem::path& file);

/// The trust rule for the directories of a PID file: every directory that
/// resolving `file` passes through (the ancestors of its absolute path, and
/// those of its real path) must be owned by the caller (effective uid) or
/// root, and writable by nobody else unless it has the sticky bit. Otherwise
/// errc::unsafe_directory. A directory that does not exist is left to the
/// open that follows.
std::error_code check_directories(const std::filesystem::path& file) noexcept;


/// What one reading of a PID file found, by the rules every reader shares
/// (inspect_pid_file, send, is_running, the command).
struct PidFileReading {
    PidFileState state = PidFileState::absent;
    process_id pid = 0;      ///< the PID on the first line; 0 when it holds none
    std::uint32_t owner = 0; ///< the file's owner
    /// state == running: the process the file names, pinned by a pidfd
    /// (empty where the system has none), taken before the lock was found
    /// held, so it is the daemon's and never a later holder of its PID.
    UniqueFd pidfd;
};

/// Reads `path` without modifying it and without taking its locks:
///   - the directories and the file must pass the trust rule (errc::
///     unsafe_directory, untrusted_owner, writable_by_others; a symbolic
///     link, FIFO or other non-regular file is refused);
///   - running: the file carries a daemon's lock (an exclusive record
///     lock) and the process it names runs (its thread group: a main thread
///     that exited while other threads run still counts);
///   - stale: no such lock; the file may name anything;
///   - a lock that is not a daemon's (a read lock, or flock(2) alone) is
///     errc::foreign_lock;
///   - a locked file that names no live process is a start between its lock
///     and its write, or a daemon between its end and the file's removal:
///     read again for up to two seconds, then errc::exited_holder (the PID in
///     `out.pid`) or errc::malformed_pid_file.
std::error_code read_pid_file(const std::filesystem::path& path, PidFileReading& out) noexcept;
#endif

/// Why `path` was refused or could not be read, for messages: "'PATH' is
/// owned by uid 1001 (att), ..." naming the owner, or the directory the
/// trust rule refused (POSIX); otherwise "'PATH': reason".
std::string refusal_reason(const std::filesystem::path& path, std::error_code code);

/// The rule for a file the daemon opens with the caller's rights (a
/// standard stream's): its directories as for a PID file, and when it is a
/// symbolic link, the link must be the caller's or root's
/// (errc::untrusted_owner). Otherwise whoever controls the path chooses
/// which file the caller creates or appends to. Windows: no check.
std::error_code check_stream_path(const std::filesystem::path& path) noexcept;


/// Makes the processes this one forks from now on close their copy of the
/// PID file kept by keep_for_life() (POSIX: a pthread_atfork child
/// handler). A copy would share its locks: a worker that outlived the daemon
/// would keep a file locked that names a dead process, whose PID could be
/// reused. Windows: nothing to do (no fork).
void hold_in_this_process_only() noexcept;

/// After a failed or abandoned start: removes `path` if nobody holds its
/// lock, it names `pid` and passes the trust rule (so a file that another
/// daemon took over, or one that is not ours to remove, stays).
void remove_if_abandoned(const std::filesystem::path& path, process_id pid) noexcept;

#ifdef _WIN32
/// Windows: the creation time on the second line of a PID file (0 if none).
std::uint64_t pid_file_creation_time(std::string_view head) noexcept;
/// Windows: reads the head of a PID file and whether it is locked.
std::error_code read_pid_file(const std::filesystem::path& path, std::string& head, bool& locked) noexcept;
#endif

} // namespace daemoniker::detail
