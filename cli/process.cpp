// The platform-independent half of Process: ownership of the handle.

#include "process.hpp"

#include <utility>

namespace daemoniker::cli {

int remaining_ms(clock::time_point deadline) noexcept {
    const auto now = clock::now();
    if (deadline <= now) return 0; // (time_point::min() - now would overflow)
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    if (left <= 0) return 0;
    return left > 1000000000 ? 1000000000 : static_cast<int>(left);
}

Process Process::adopt(process_id pid, native_handle_type handle) noexcept {
    Process p;
    p.pid_ = pid;
    p.handle_ = handle;
    return p;
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, 0)), handle_(std::exchange(other.handle_, no_handle)) {}

Process& Process::operator=(Process&& other) noexcept {
    if (this != &other) {
        if (handle_ != no_handle) close_handle(handle_);
        pid_ = std::exchange(other.pid_, 0);
        handle_ = std::exchange(other.handle_, no_handle);
    }
    return *this;
}

Process::~Process() {
    if (handle_ != no_handle) close_handle(handle_);
}

} // namespace daemoniker::cli
