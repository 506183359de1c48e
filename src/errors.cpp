// The exceptions, the library's error category and the steps' names.

#include "steps.hpp"

#include <daemoniker/errors.hpp>

#include <csignal>

namespace daemoniker {

namespace {
class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "daemoniker"; }
    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
        case errc::not_regular_file: return "not a regular file (refused)";
        case errc::symbolic_link: return "is a symbolic link (refused)";
        case errc::unsafe_directory:
            return "a directory on its path may be written by a user other than you and root, who could replace the "
                   "file (refused)";
        case errc::replaced: return "the file was replaced repeatedly while it was being locked";
        case errc::malformed_pid_file: return "does not hold a valid PID";
        case errc::stale_pid_file: return "stale: no process holds its lock, the daemon is gone";
        case errc::not_running: return "no PID file: the daemon is not running";
        case errc::init_process: return "it names PID 1 (init), which is never signalled (refused)";
        case errc::invalid_signal: return "not a signal this platform can send";
        case errc::handler_active: return "another SignalHandler is already started in this process";
        case errc::no_signal_channel: return "the daemon serves no signal channel (it started no SignalHandler)";
        case errc::signal_dropped:
            return "the daemon has no action for this signal, and Windows no default one: it was dropped";
        case errc::untrusted_owner:
            return "owned by a user other than you and root, who could make it name any process (refused)";
        case errc::writable_by_others:
            return "writable by its group or by other users, who could make it name any process (refused)";
        case errc::not_a_pid_file:
            return "not a PID file: it holds more than one PID line, or has more than one link (refused, left untouched)";
        case errc::foreign_lock:
            return "locked by another process, but not with a daemon's lock (a read lock or flock(2); fuser(1) "
                   "names the holder) (refused)";
        case errc::exited_holder:
            return "locked, but the process it names has exited (a process it started may still hold the file open)";
        case errc::fifo_without_reader: return "a FIFO that no process has open for reading";
        }
        return "unknown daemoniker error " + std::to_string(value);
    }
};
} // namespace

const std::error_category& category() noexcept {
    static const Category instance;
    return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

Error::Error(const std::string& what, std::error_code code) : std::runtime_error(what), code_(code) {}

PidFileError::PidFileError(const std::string& what, std::filesystem::path path, std::error_code code)
    : Error(what, code), path_(std::move(path)) {}

AlreadyRunning::AlreadyRunning(const std::filesystem::path& path, process_id pid)
    : PidFileError("already running (pid " + (pid > 0 ? std::to_string(pid) : std::string("unknown")) +
                       "): PID file '" + path.string() + "' is locked",
                   path),
      pid_(pid) {}

StartupError::StartupError(const std::string& what, Step step, std::filesystem::path path, std::error_code code)
    : Error(what, code), step_(step), path_(std::move(path)) {}

ReceivedSignal::ReceivedSignal(int signal_number, const std::string& what)
    : Error(what), signal_number_(signal_number) {}

SigInt::SigInt() : ReceivedSignal(SIGINT, "received SIGINT") {}
SigTerm::SigTerm() : ReceivedSignal(SIGTERM, "received SIGTERM") {}
SigAbrt::SigAbrt() : ReceivedSignal(SIGABRT, "received SIGABRT") {}

std::string_view to_string(Step step) noexcept {
    const detail::StepInfo* s = detail::info(step);
    return s != nullptr ? s->text : "unknown step";
}

} // namespace daemoniker
