#pragma once
// The PID file as the daemon holds it: created without following links,
// locked for the daemon's whole life, published only once its content is
// written, removed at normal exit.

#include "startup.hpp"

#include <daemoniker/errors.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace daemoniker::detail {

struct PidFileFailure {
    Step step = Step::pid_file_open;
    int error = 0;         ///< errno
    errc detail{};         ///< set instead of `error` for conditions errno cannot name
    std::int64_t holder = 0; ///< PID of the live daemon holding the lock
};

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
    bool acquire(const std::filesystem::path& path, process_id pid, PidFileFailure& failure) noexcept;

#ifndef _WIN32
    /// acquire() of the path given to the constructor, whose directory_of()
    /// is `dir`: the daemon's way between fork and the report, where it runs
    /// no std::filesystem code and allocates nothing.
    bool acquire_prepared(const std::filesystem::path& dir, process_id pid, PidFileFailure& failure) noexcept;
#endif

    /// Removes the file if it is still the one we locked and this is the
    /// owning process, then closes it (which drops the lock).
    void release() noexcept;

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

/// POSIX: false when the directory of `file` is world-writable without the
/// sticky bit, where anyone could replace the file with one naming their own
/// process. Such a PID file is refused by every entry point.
bool in_safe_directory(const std::filesystem::path& file) noexcept;

#ifndef _WIN32
/// The directory a PID file is created in: its parent, or "." for a bare name.
std::filesystem::path directory_of(const std::filesystem::path& file);
#endif

/// After a failed or abandoned start: removes `path` if nobody holds its
/// lock and it names `pid` (so a file that another daemon took over stays).
void remove_if_abandoned(const std::filesystem::path& path, process_id pid) noexcept;

#ifdef _WIN32
/// Windows: the creation time on the second line of a PID file (0 if none).
std::uint64_t pid_file_creation_time(std::string_view head) noexcept;
/// Windows: reads the head of a PID file and whether it is locked.
std::error_code read_pid_file(const std::filesystem::path& path, std::string& head, bool& locked) noexcept;
#endif

} // namespace daemoniker::detail
