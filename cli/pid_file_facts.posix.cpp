// POSIX: the owner from lstat(2) and the passwd database; the lock kind from
// F_OFD_GETLK, which reports a classic record lock with its holder's PID and
// an OFD lock with -1.

#include "pid_file_facts.hpp"

#include "daemoniker_internal.hpp" // posix_features.hpp: DAEMONIKER_HAVE_OFD_LOCKS

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace daemoniker::cli {

std::optional<FileOwner> file_owner(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
    FileOwner owner{static_cast<std::uint32_t>(st.st_uid), {}};
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwuid_r(st.st_uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) owner.user = pw.pw_name;
    return owner;
}

std::string lock_kind(const std::filesystem::path& path) {
    // Read-only, no link followed, and a FIFO put in the file's place does
    // not block the open.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return {};
    std::string kind;
    struct stat st {};
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
#if DAEMONIKER_HAVE_OFD_LOCKS
    constexpr int get_lock = F_OFD_GETLK;
#else
    constexpr int get_lock = F_GETLK;
#endif
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::fcntl(fd, get_lock, &lock) == 0 && lock.l_type != F_UNLCK)
        kind = lock.l_pid == -1 ? "ofd" : "fcntl";
    ::close(fd);
    return kind;
}

} // namespace daemoniker::cli
