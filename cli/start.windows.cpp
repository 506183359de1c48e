// daemoniker start on Windows. There is no exec(): the library re-launches
// this executable, with this very command line, as the detached daemon, and
// that daemon stays as the program's supervisor (src/supervise.hpp). The PID
// file therefore holds the supervisor's PID, and signals sent through it
// reach the program as supervise.hpp describes. start returns once the
// program was created; the re-launched copy never returns from run().

#include "command_line.hpp"
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
    std::optional<std::filesystem::path> stderr_file; // for the SCM's administrator
};

namespace {

// Started by the SCM, this process is the service: a failure of the
// command's own checks, before the library connected the service, is told
// the SCM, which would otherwise wait out its start timeout (1053) without
// a word of why. The caller prints the line as usual (to no console).
template <class Step>
auto telling_the_scm(const std::optional<std::filesystem::path>& stderr_file, Step&& step) {
    try {
        return step();
    } catch (const Failure& e) { // UsageError among them
        detail::service::fail_before_startup(e.what(), e.status(), stderr_file);
        throw;
    } catch (const std::exception& e) {
        detail::service::fail_before_startup(e.what(), exit_status::failed, stderr_file);
        throw;
    }
}

// --stderr's file, when it names one; the check of the option comes later.
std::optional<std::filesystem::path> stderr_file(const StartOptions& o) noexcept {
    if (!o.stderr_path || o.stderr_path->empty()) return std::nullopt;
    try {
        return std::filesystem::absolute(path_arg(*o.stderr_path));
    } catch (...) {
        return std::nullopt;
    }
}

} // namespace

PreparedStart::PreparedStart(const StartOptions& o) : impl_(std::make_unique<Impl>()) {
    telling_the_scm(stderr_file(o), [&] { prepare(*impl_, o); });
}

void PreparedStart::prepare(Impl& s, const StartOptions& o) {
    s.stderr_file = stderr_file(o);
    if (o.wait_ready) throw UsageError("--wait-ready: not supported on Windows (there is no sd_notify)");
    if (o.umask) throw UsageError("--umask: Windows has no umask");
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
    const process_id pid = telling_the_scm(s.stderr_file, [&] {
        if (!detail::is_relaunched()) refuse_unverified_daemon(s.pid_file);
        return start_program(s.pid_file, s.options, s.launch.exec);
    });
    // The supervisor holds the lock until the program ends.
    std::error_code ec;
    const auto info = inspect_pid_file(s.pid_file, ec);
    if (!ec && info.state == PidFileState::running && info.pid == pid) return exit_status::ok;
    throw Failure(exit_status::failed, "the program ended right after it started (its supervisor, pid " +
                                           std::to_string(pid) + ", is gone; see the program's --stderr)");
}

} // namespace daemoniker::cli
