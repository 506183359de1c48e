#include "helper_os.hpp"

#include <windows.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <shellapi.h>

namespace helper_os {

namespace {
std::string utf8(const std::filesystem::path& p) {
    const auto s = p.u8string();
    return {s.begin(), s.end()};
}
} // namespace

std::vector<std::string> arguments(int /*argc*/, char** /*argv*/) {
    int count = 0;
    wchar_t** wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) out.push_back(utf8(std::filesystem::path(wide[i])));
    ::LocalFree(static_cast<HLOCAL>(wide));
    return out;
}

std::int64_t current_pid() { return ::GetCurrentProcessId(); }

std::string environment(const std::string& name) {
    const std::u8string n(name.begin(), name.end());
    const wchar_t* v = ::_wgetenv(std::filesystem::path(n).c_str());
    return v != nullptr ? utf8(std::filesystem::path(v)) : "(unset)";
}

std::string platform_report() { return ""; }

bool open_extra_descriptor() { return false; }

bool lower_core_soft_limit() { return false; }

bool remove_current_directory() { return false; }

std::int64_t start_worker() { return -1; }

struct StopWaiter::State {
    std::optional<daemoniker::SignalHandler> signals;
};

StopWaiter::StopWaiter(const std::string& pid_file) : state_(std::make_unique<State>()) {
    const std::u8string p(pid_file.begin(), pid_file.end());
    state_->signals.emplace(std::filesystem::path(p));
    state_->signals->start();
}

StopWaiter::~StopWaiter() = default;

bool StopWaiter::wait() {
    try {
        state_->signals->wait_for(std::chrono::seconds(60));
    } catch (const daemoniker::ReceivedSignal& e) {
        return e.signal_number() == daemoniker::to_number(daemoniker::Signal::sigterm);
    }
    return false;
}

bool wait_signalled(daemoniker::SignalHandler::native_handle_type handle, std::chrono::milliseconds timeout) {
    return ::WaitForSingleObject(handle, static_cast<DWORD>(timeout.count())) == WAIT_OBJECT_0;
}

[[noreturn]] void crash() {
    ::RaiseException(EXCEPTION_ACCESS_VIOLATION, EXCEPTION_NONCONTINUABLE, 0, nullptr);
    std::abort();
}

} // namespace helper_os
