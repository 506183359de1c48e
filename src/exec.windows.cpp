// The command's daemon on Windows: there is no exec(), so the daemon stays
// as the program's supervisor (supervise.hpp). The daemon is this very
// executable, re-launched with the same command line, which reaches
// daemonize_and_exec() again and there becomes the supervisor.

#include "continuation.hpp"
#include "exec.hpp"
#include "service.hpp"
#include "supervise.hpp"
#include "win.hpp"

#include <cstdio>
#include <optional>

namespace daemoniker::detail {

namespace {

class SupervisedProgram final : public Continuation {
public:
    explicit SupervisedProgram(std::filesystem::path program) : program_(std::move(program)) {}

    Failure start(const Resolved& r, std::string_view payload) noexcept override {
        try {
            supervisor_.emplace();
        } catch (...) {
            return {Step::exec, static_cast<int>(ERROR_NOT_ENOUGH_MEMORY)};
        }
        return supervisor_->launch(r, payload);
    }
    [[noreturn]] void serve() override { supervisor_->run(); }

    void throw_own_failure(const Failure& failure, const Resolved& /*r*/) const override {
        if (failure.step != Step::exec) return;
        const std::error_code code(failure.error, std::system_category());
        if (failure.detail == errc::no_signal_channel)
            throw StartupError("cannot start program: the supervisor cannot open its signal channel: " +
                                   describe(code) + "; the program was terminated",
                               Step::exec, program_, code);
        throw StartupError("cannot start program: execute '" + program_.string() + "': " + describe(code), Step::exec,
                           program_, code);
    }

private:
    std::filesystem::path program_;        // in the original process, for its messages
    std::optional<Supervisor> supervisor_; // in the daemon, once start() runs
};

} // namespace

process_id daemonize_and_exec(const std::filesystem::path& pid_file, const Options& options, const ExecSpec& exec,
                              process_id* keeper) {
    if (is_relaunched()) {
        SupervisedProgram supervisor({});
        std::string payload;
        run_daemon(payload, &supervisor); // never returns
    }
    check_exec_spec(exec);
    if (service::started_by_scm()) {
        // The SCM started the command: this process is the service and the
        // program's supervisor at once (no re-launch).
        const Resolved r = resolve(pid_file, options);
        const auto program = std::filesystem::absolute(exec.program);
        SupervisedProgram supervisor(program);
        service::run_startup(r, supervisor, encode_program(program, exec)); // never returns
    }
    Options relaunch = options;
    relaunch.strip_cmd_args = false; // the daemon must parse the same command line
    relaunch.explicit_rescript.clear();
    relaunch.detach = Detach::always;
    const Resolved r = resolve(pid_file, relaunch);
    const auto program = std::filesystem::absolute(exec.program);
    std::fflush(nullptr);
    const SupervisedProgram continuation(program);
    const process_id supervisor = run_original(r, relaunch, encode_program(program, exec), &continuation);
    if (keeper != nullptr) *keeper = supervisor;
    return supervisor;
}

} // namespace daemoniker::detail
