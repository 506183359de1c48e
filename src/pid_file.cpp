// Platform-independent PID-file code: parsing, the throwing wrappers, and
// keeping the daemon's PID file until the process exits.

#include "pid_file_internal.hpp"
#include "startup.hpp"

#include <daemoniker/pid_file.hpp>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <new>
#include <utility>

namespace daemoniker::detail {

HeldPidFile::HeldPidFile(const std::filesystem::path& path) : path_(path) {}

HeldPidFile::HeldPidFile(HeldPidFile&& other) noexcept
    : path_(std::move(other.path_)), handle_(std::exchange(other.handle_, -1)), owner_(other.owner_),
      device_(other.device_), inode_(other.inode_) {}

HeldPidFile& HeldPidFile::operator=(HeldPidFile&& other) noexcept {
    if (this != &other) {
        close();
        path_ = std::move(other.path_);
        handle_ = std::exchange(other.handle_, -1);
        owner_ = other.owner_;
        device_ = other.device_;
        inode_ = other.inode_;
    }
    return *this;
}

HeldPidFile::~HeldPidFile() { close(); }

namespace {
HeldPidFile* for_life = nullptr;
std::terminate_handler previous_terminate = nullptr;

void release_at_exit() noexcept {
    if (for_life != nullptr) for_life->release();
}

[[noreturn]] void release_on_terminate() noexcept {
    release_at_exit();
    if (previous_terminate != nullptr) previous_terminate();
    std::abort();
}

HeldPidFile* life_storage() noexcept {
    // Never destroyed: static destructors may run before atexit handlers
    // registered earlier, and the file must outlive all of them.
    static HeldPidFile* storage = new (std::nothrow) HeldPidFile;
    return storage;
}
} // namespace

HeldPidFile* prepare_for_life(const std::filesystem::path& path) {
    HeldPidFile* storage = life_storage();
    if (storage == nullptr || storage->held()) return nullptr;
    *storage = HeldPidFile(path);
    return storage;
}

void keep_for_life(HeldPidFile&& file) noexcept {
    static bool registered = false;
    if (for_life == nullptr) {
        for_life = life_storage();
        if (for_life == nullptr) return;
    }
    *for_life = std::move(file); // nothing to move when `file` is the storage (prepare_for_life)
    if (!registered) {
        registered = true;
        std::atexit(release_at_exit);
        previous_terminate = std::set_terminate(release_on_terminate);
        hold_in_this_process_only();
    }
}

HeldPidFile* held_for_life() noexcept { return for_life != nullptr && for_life->held() ? for_life : nullptr; }

} // namespace daemoniker::detail

namespace daemoniker {

std::optional<process_id> parse_pid(std::string_view s) noexcept {
    // The first line is bounded, so that a reader of the first 64 bytes (all
    // send() and inspect_pid_file() read) sees what the whole file says.
    // (Found by fuzzing: 70 blanks then a PID parsed here, not in a file.)
    if (s.substr(0, s.find('\n')).size() > max_pid_line) return std::nullopt;
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const std::size_t digits_start = i;
    std::int64_t pid = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        pid = pid * 10 + (s[i] - '0');
        if (pid > INT32_MAX) return std::nullopt; // pid_t and DWORD-as-PID both fit in 31 bits
        ++i;
    }
    if (i == digits_start || pid == 0) return std::nullopt;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    if (i < s.size() && s[i] != '\n') return std::nullopt;
    return pid;
}

PidFileInfo inspect_pid_file(const std::filesystem::path& path) {
    std::error_code ec;
    auto info = inspect_pid_file(path, ec);
    if (ec) throw PidFileError("cannot inspect PID file " + detail::refusal_reason(path, ec), path, ec);
    return info;
}

} // namespace daemoniker
