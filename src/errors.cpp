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
            return "its directory is world-writable without the sticky bit, so anyone could replace the file (refused)";
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
    switch (step) {
    case Step::validate: return "validate options";
    case Step::report_channel: return "create report channel";
    case Step::fork: return "fork";
    case Step::setsid: return "setsid";
    case Step::fork_again: return "second fork";
    case Step::chdir: return "chdir";
    case Step::pid_file_open: return "open PID file";
    case Step::pid_file_lock: return "lock PID file";
    case Step::pid_file_write: return "write PID file";
    case Step::close_fds: return "close inherited descriptors";
    case Step::redirect_stdin: return "redirect stdin";
    case Step::redirect_stdout: return "redirect stdout";
    case Step::redirect_stderr: return "redirect stderr";
    case Step::report: return "report to the original process";
    case Step::handoff: return "receive arguments";
    case Step::wait: return "wait for the daemon's report";
    case Step::drop_privileges: return "drop privileges";
    case Step::exec: return "execute the program";
    }
    return "unknown step";
}

} // namespace daemoniker
