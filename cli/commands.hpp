#pragma once
// The subcommands, and the parts restart borrows from start and stop.

#include "common.hpp"

#include <daemoniker/options.hpp>

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace daemoniker::cli {

Command add_start(CLI::App& app);
Command add_stop(CLI::App& app);
Command add_status(CLI::App& app);
Command add_send(CLI::App& app);
Command add_restart(CLI::App& app);
/// Windows services (service.windows.cpp); on POSIX a pointer to systemd units.
Command add_service(CLI::App& app);

/// start's command line. An option not given is std::nullopt (or false,
/// or empty), one given empty is "".
struct StartOptions {
    std::string pid_file;
    std::optional<std::string> chdir;
    std::optional<std::string> stdin_path;
    std::optional<std::string> stdout_path;
    std::optional<std::string> stderr_path;
    std::optional<std::string> umask;
    std::optional<std::string> timeout;
    std::optional<std::string> user;
    std::optional<std::string> group;
    std::optional<std::string> chroot;
    std::optional<std::string> nice;
    std::optional<std::string> iosched;
    std::vector<std::string> rlimits;
    std::vector<int> keep_fds;
    std::vector<std::string> env;
    std::vector<std::string> env_files;
    bool core = false;    ///< --core
    bool no_core = false; ///< --no-core
    bool wait_ready = false;
    std::vector<std::string> command;

    bool operator==(const StartOptions&) const = default;
};

/// What every platform makes of start's options: the PID file, the library
/// options (streams, directory, umask, descriptors, success_timeout, user,
/// group, chroot, core dumps), the identity they name, and the timeout.
/// Throws UsageError, or Failure when the user cannot be switched to.
struct StartBasics {
    std::filesystem::path pid_file;
    Options options;
    std::optional<detail::Identity> identity; ///< set when --user/--group switch
    std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};
StartBasics start_basics(const StartOptions& o);

/// --nice, --iosched and --rlimit into `exec`. Throws UsageError (also
/// where the platform lacks one of them).
void add_process_settings(const StartOptions& o, detail::ExecSpec& exec);

/// Refuses (exit 2) to start over a PID file that is not locked but names a
/// process that runs and started before the file was written — what
/// `status` calls "running, unverified": a daemon of a tool that does not
/// lock its PID files, or a program that lost its lock keeper. Taking the
/// file over would start a second instance.
void refuse_unverified_daemon(const std::filesystem::path& pid_file);

/// A start whose options were checked and whose program, user and group were
/// looked up (restart prepares before it stops anything).
class PreparedStart {
public:
    /// Throws UsageError or Failure.
    explicit PreparedStart(const StartOptions& o);
    ~PreparedStart();
    PreparedStart(const PreparedStart&) = delete;
    PreparedStart& operator=(const PreparedStart&) = delete;
    /// Starts; returns the exit status or throws Failure.
    int run();

private:
    struct Impl;
    static void prepare(Impl& s, const StartOptions& o); // Windows: the constructor's work
    std::unique_ptr<Impl> impl_;
};

/// stop's options (the PID file is separate: restart takes it from --pid-file).
struct StopOptions {
    std::string signal = "TERM";
    std::string retry;
    CLI::Option* retry_opt = nullptr;
    bool process_group = false; ///< signal the daemon's process group, and wait for all of it
};
void add_stop_options(CLI::App& sub, StopOptions& o);

struct StopResult {
    int status = 0;      ///< exit_status::ok, failed (nothing to stop), still_running, unknown
    std::string message; ///< empty when stopped
};
/// Stops the daemon of `pid_file`. Throws UsageError for a bad --signal/--retry.
StopResult stop_daemon(const std::filesystem::path& pid_file, const StopOptions& o);

} // namespace daemoniker::cli
