#pragma once
// Facts about a PID file that status --json reports beside the verdict of
// probe(): who owns the file and which kind of lock its daemon holds.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace daemoniker::cli {

struct FileOwner {
    std::uint32_t uid = 0;
    std::string user; ///< the account's name; empty when no account has that uid
};

/// The owner of the file itself (a symbolic link is not followed);
/// std::nullopt when it cannot be read, and on Windows, where a file's owner
/// is a SID that the report does not carry.
std::optional<FileOwner> file_owner(const std::filesystem::path& path);

/// The kind of lock held on the PID file of a running daemon: "ofd" (a Linux
/// open file description lock), "fcntl" (a classic POSIX record lock, which
/// belongs to a process) or "lockfile" (Windows LockFileEx). Empty when no
/// lock is seen now (the daemon just ended) or the file cannot be opened.
/// Tested without taking the lock. The file is opened (read-only, no link
/// followed, not waiting on a FIFO): call it only for a file probe()
/// believed, whose directories nobody but the caller and root may change,
/// so that nobody can put a device node there whose opening would act.
std::string lock_kind(const std::filesystem::path& path);

} // namespace daemoniker::cli
