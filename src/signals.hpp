#pragma once
// The shared core of SignalHandler (actions, the record of default-handled
// signals, waiting) and the seam to the platform half (how signals are
// caught and how the signal thread is woken).

#include <daemoniker/pid_file.hpp>
#include <daemoniker/signals.hpp>

#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <stop_token>
#include <variant>

namespace daemoniker::detail {

/// The pollable "a signal is waiting" handle: a pipe on POSIX, a
/// manual-reset event on Windows.
class Notifier {
public:
    Notifier();
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;
    void raise() noexcept;
    void clear() noexcept;
    [[nodiscard]] SignalHandler::native_handle_type handle() const noexcept;

private:
    SignalHandler::native_handle_type read_ = {};
    SignalHandler::native_handle_type write_ = {};
};

struct SignalPlatform;
struct SignalPlatformDeleter {
    void operator()(SignalPlatform* p) const noexcept;
};
using PlatformPtr = std::unique_ptr<SignalPlatform, SignalPlatformDeleter>;

constexpr std::size_t index(Signal s) noexcept { return static_cast<std::size_t>(s); }

/// The state SignalHandler shares with its signal thread.
struct SignalState {
    explicit SignalState(std::filesystem::path path) : pid_file(std::move(path)) {}

    const std::filesystem::path pid_file;

    mutable std::mutex mutex;
    std::condition_variable received_cv;
    std::array<SignalAction, signal_count> actions{}; // guarded by mutex
    /// Default-handled signal numbers and handler exceptions, oldest first.
    std::deque<std::variant<int, std::exception_ptr>> received; // guarded by mutex
    std::stop_source stop_source;
    Notifier notifier;
    PlatformPtr platform; // set while started; guarded by mutex

    /// Runs the action for `signal`; called on the signal thread only.
    void deliver(Signal signal);
    void record(std::variant<int, std::exception_ptr> item);
};

/// Installs the catching of every signal whose action needs it and starts
/// the signal thread, which calls state.deliver(). Throws SignalError.
PlatformPtr platform_start(SignalState& state);
/// Restores the saved dispositions and joins the signal thread.
void platform_stop(SignalPlatform& platform) noexcept;
/// Starts or stops catching `signal` while started (SIGHUP/USR1/USR2 are
/// caught only while their action is not the default).
void platform_catch(SignalPlatform& platform, Signal signal, bool catching);
/// Whether the platform must catch `signal` for this kind of action.
constexpr bool needs_catching(Signal signal, SignalAction::Kind kind) noexcept {
    return kind != SignalAction::Kind::by_default || index(signal) <= index(Signal::sigabrt);
}

} // namespace daemoniker::detail
