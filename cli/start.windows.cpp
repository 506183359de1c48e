// daemoniker start on Windows. There is no exec(): the library re-launches
// this executable, with this very command line, as the detached daemon, and
// that daemon stays as the program's supervisor (src/supervise.hpp). The PID
// file therefore holds the supervisor's PID, and signals sent through it
// reach the program as supervise.hpp describes. start returns once the
// program was created; the re-launched copy never returns from run().

#include "commands.hpp"
#include "launch.hpp"

#include <daemoniker/daemonize.hpp>
#include <daemoniker/pid_file.hpp>

#include <CLI/CLI.hpp>

namespace daemoniker::cli {

struct PreparedStart::Impl {
    std::filesystem::path pid_file;
    Options options;
    Launch launch;
};

PreparedStart::PreparedStart(const StartOptions& o) : impl_(std::make_unique<Impl>()) {
    Impl& s = *impl_;
    if (o.wait_ready) throw UsageError("--wait-ready: not supported on Windows (there is no sd_notify)");
    if (o.umask_opt != nullptr && o.umask_opt->count() > 0) throw UsageError("--umask: Windows has no umask");
    if (!o.keep_fds.empty())
        throw UsageError("--keep-fd: not supported on Windows (the program inherits its standard streams only)");
    auto basics = start_basics(o);
    s.pid_file = std::move(basics.pid_file);
    s.options = std::move(basics.options);
    // The re-launched supervisor receives the program from the original.
    if (detail::is_relaunched()) return;
    LaunchRequest request{o.command, o.env, o.env_files, s.options.chroot, std::nullopt};
    s.launch = launch_as(basics.identity);
    add_process_settings(o, s.launch.exec);
    resolve_program(request, s.launch);
}

PreparedStart::~PreparedStart() = default;

int PreparedStart::run() {
    Impl& s = *impl_;
    if (!detail::is_relaunched()) refuse_unverified_daemon(s.pid_file);
    const process_id pid = start_program(s.pid_file, s.options, s.launch.exec);
    // The supervisor holds the lock until the program ends.
    std::error_code ec;
    const auto info = inspect_pid_file(s.pid_file, ec);
    if (!ec && info.state == PidFileState::running && info.pid == pid) return exit_status::ok;
    throw Failure(exit_status::failed, "the program ended right after it started (its supervisor, pid " +
                                           std::to_string(pid) + ", is gone; see the program's --stderr)");
}

} // namespace daemoniker::cli
