// Platform-independent half of signals: names, actions, the record of
// default-handled signals and waiting for them.

#include "pid_file_internal.hpp"
#include "signals.hpp"
#include "startup.hpp"

#include <daemoniker/errors.hpp>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

namespace daemoniker {

namespace {
struct Named {
    Signal signal;
    std::string_view name;
};
constexpr std::array<Named, signal_count> names{{{Signal::sigint, "SIGINT"},
                                                 {Signal::sigterm, "SIGTERM"},
                                                 {Signal::sigabrt, "SIGABRT"},
                                                 {Signal::sighup, "SIGHUP"},
                                                 {Signal::sigusr1, "SIGUSR1"},
                                                 {Signal::sigusr2, "SIGUSR2"}}};

// The process-wide "one started handler" rule, and stop() at exit.
std::mutex active_mutex;
detail::SignalState* active = nullptr;

void stop_active_at_exit() noexcept {
    detail::PlatformPtr platform;
    detail::SignalState* stopped = nullptr;
    {
        std::lock_guard lock(active_mutex);
        if (active == nullptr) return;
        std::lock_guard state_lock(active->mutex);
        platform = std::move(active->platform);
        stopped = active;
        active = nullptr;
    }
    if (platform) detail::platform_stop(*platform);
    stopped->received_cv.notify_all(); // a waiting thread learns that no signal can come
}

[[noreturn]] void throw_item(const std::variant<int, std::exception_ptr>& item) {
    if (const auto* e = std::get_if<std::exception_ptr>(&item)) std::rethrow_exception(*e);
    const int number = std::get<int>(item);
    if (number == SIGINT) throw SigInt();
    if (number == SIGTERM) throw SigTerm();
    if (number == SIGABRT) throw SigAbrt();
    throw ReceivedSignal(number, "received signal " + std::to_string(number));
}
} // namespace

std::string_view to_string(Signal signal) noexcept {
    for (const auto& n : names)
        if (n.signal == signal) return n.name;
    return "unknown signal";
}

std::optional<Signal> signal_from_number(int number) noexcept {
    for (const auto& n : names)
        if (to_number(n.signal) == number) return n.signal;
    return std::nullopt;
}

std::optional<Signal> parse_signal(std::string_view text) noexcept {
    if (text.empty() || text.size() > 16) return std::nullopt;
    if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        std::int64_t number = 0; // 16 digits at most: cannot overflow (an int could: found by fuzzing)
        for (char c : text) number = number * 10 + (c - '0');
        if (number > std::numeric_limits<int>::max()) return std::nullopt;
        return signal_from_number(static_cast<int>(number));
    }
    std::string upper;
    for (char c : text) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (upper.rfind("SIG", 0) != 0) upper.insert(0, "SIG");
    for (const auto& n : names)
        if (n.name == upper) return n.signal;
    return std::nullopt;
}

void detail::SignalState::deliver(Signal signal) {
    SignalAction action;
    {
        std::lock_guard lock(mutex);
        action = actions[detail::index(signal)];
    }
    switch (action.kind()) {
    case SignalAction::Kind::ignore: return;
    case SignalAction::Kind::by_default:
        // SIGHUP/USR1/USR2 reach here only in the instant after being reset
        // to the default; the system default applies from then on.
        if (detail::index(signal) <= detail::index(Signal::sigabrt)) record(to_number(signal));
        return;
    case SignalAction::Kind::call:
        try {
            action(to_number(signal));
        } catch (...) {
            record(std::current_exception());
        }
        return;
    }
}

void detail::SignalState::record(std::variant<int, std::exception_ptr> item) {
    const bool is_signal = std::holds_alternative<int>(item);
    {
        std::lock_guard lock(mutex);
        received.push_back(std::move(item));
        notifier.raise();
    }
    if (is_signal) stop_source.request_stop();
    received_cv.notify_all();
}

SignalHandler::SignalHandler(std::filesystem::path pid_file, SignalAction sigint, SignalAction sigterm,
                             SignalAction sigabrt)
    : state_(std::make_shared<detail::SignalState>(std::move(pid_file))) {
    state_->actions[detail::index(Signal::sigint)] = std::move(sigint);
    state_->actions[detail::index(Signal::sigterm)] = std::move(sigterm);
    state_->actions[detail::index(Signal::sigabrt)] = std::move(sigabrt);
}

SignalHandler::~SignalHandler() { stop(); }

void SignalHandler::start() {
    static const bool registered = [] { return std::atexit(stop_active_at_exit) == 0; }();
    (void)registered;
    std::lock_guard lock(active_mutex);
    if (active == state_.get()) return;
    if (active != nullptr) throw SignalError("cannot start SignalHandler: " + make_error_code(errc::handler_active).message(),
                                             make_error_code(errc::handler_active));
    auto platform = detail::platform_start(*state_);
    {
        std::lock_guard state_lock(state_->mutex);
        state_->platform = std::move(platform);
    }
    active = state_.get();
}

void SignalHandler::stop() noexcept {
    detail::PlatformPtr platform;
    {
        std::lock_guard lock(active_mutex);
        if (active != state_.get()) return;
        std::lock_guard state_lock(state_->mutex);
        platform = std::move(state_->platform);
        active = nullptr;
    }
    // Joined outside the locks: the signal thread may be inside deliver().
    if (platform) detail::platform_stop(*platform);
    state_->received_cv.notify_all(); // waiting threads learn that no signal can come
}

bool SignalHandler::started() const noexcept {
    std::lock_guard lock(state_->mutex);
    return state_->platform != nullptr;
}

void SignalHandler::set(Signal signal, SignalAction action) {
    std::lock_guard lock(state_->mutex);
    const bool was = detail::needs_catching(signal, state_->actions[detail::index(signal)].kind());
    const bool now = detail::needs_catching(signal, action.kind());
    if (state_->platform && was != now) detail::platform_catch(*state_->platform, signal, now);
    state_->actions[detail::index(signal)] = std::move(action);
}

bool SignalHandler::wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(state_->mutex);
    // A recorded signal is thrown even after stop(): it arrived while started.
    const auto done = [&] { return !state_->received.empty() || state_->platform == nullptr; };
    if (!state_->received_cv.wait_until(lock, deadline, done)) return false;
    if (state_->received.empty()) return true; // not started: no signal can arrive
    auto item = std::move(state_->received.front());
    state_->received.pop_front();
    if (state_->received.empty()) state_->notifier.clear();
    lock.unlock();
    throw_item(item);
}

void SignalHandler::wait() {
    while (!wait_until(std::chrono::steady_clock::time_point::max())) {
    }
}

void SignalHandler::check() { wait_until(std::chrono::steady_clock::time_point::min()); }

bool SignalHandler::pending() const noexcept {
    std::lock_guard lock(state_->mutex);
    return !state_->received.empty();
}

std::stop_token SignalHandler::stop_token() const noexcept { return state_->stop_source.get_token(); }

SignalHandler::native_handle_type SignalHandler::native_handle() const noexcept { return state_->notifier.handle(); }

const std::filesystem::path& SignalHandler::pid_file() const noexcept { return state_->pid_file; }

void send(const std::filesystem::path& pid_file, Signal signal, std::error_code& ec) noexcept {
    send(pid_file, to_number(signal), ec);
}

void send(const std::filesystem::path& pid_file, Signal signal) { send(pid_file, to_number(signal)); }

void send(const std::filesystem::path& pid_file, int signal_number) {
    std::error_code ec;
    send(pid_file, signal_number, ec);
    if (ec) {
        const auto sig = signal_from_number(signal_number);
        const std::string name = sig ? std::string(to_string(*sig)) : "signal " + std::to_string(signal_number);
        throw SignalError("cannot send " + name + " through PID file " + detail::refusal_reason(pid_file, ec), ec);
    }
}

void send(const std::filesystem::path& pid_file, const ReceivedSignal& signal) {
    send(pid_file, signal.signal_number());
}

void send(const std::filesystem::path& pid_file, const ReceivedSignal& signal, std::error_code& ec) noexcept {
    send(pid_file, signal.signal_number(), ec);
}

bool is_running(const std::filesystem::path& pid_file, std::error_code& ec) noexcept {
    const auto info = inspect_pid_file(pid_file, ec);
    return !ec && info.state == PidFileState::running;
}

bool is_running(const std::filesystem::path& pid_file) { return inspect_pid_file(pid_file).state == PidFileState::running; }

} // namespace daemoniker
