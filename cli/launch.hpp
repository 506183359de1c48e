#pragma once
// Turning `start`'s command line into what the daemon executes: the program
// found on PATH, its environment, and the identity it runs as. All of it is
// resolved here, before anything is forked: user and group databases, PATH
// search and allocation are not available between fork and exec.

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace daemoniker::cli {

struct LaunchRequest {
    std::vector<std::string> command;        ///< program and its arguments
    std::vector<std::string> env;            ///< --env NAME=value, in order
    std::vector<std::string> env_files;      ///< --env-file arguments, in order
    std::optional<std::filesystem::path> chroot; ///< --chroot: the program is found inside it
    std::optional<std::string> notify_socket; ///< NOTIFY_SOCKET for the program (--wait-ready)
};

struct Launch {
    detail::ExecSpec exec;
    std::uint32_t uid = 0; ///< who the program runs as (this process's ids when nothing is dropped)
    std::uint32_t gid = 0;
    bool switches_identity = false; ///< --user/--group name someone else
};

/// The identity part only (the readiness socket must be handed to that user
/// before the environment can name it), from the library's lookup of
/// --user/--group (start_basics()).
Launch launch_as(const std::optional<detail::Identity>& identity);

/// Completes `launch` with the program (searched on the PATH of the
/// program's environment when the name has no '/'; with --chroot, inside
/// the new root, where the name must be absolute if it has a '/') and its
/// environment: this process's, with HOME, USER and LOGNAME of --user, then
/// the --env-file entries, then --env, then NOTIFY_SOCKET. Throws
/// UsageError, or Failure when the program is not found.
void resolve_program(const LaunchRequest& request, Launch& launch);

/// detail::daemonize_and_exec(pid_file, options, exec, keeper) with the library's
/// exceptions turned into the command's: AlreadyRunning ->
/// Failure(still_running), OptionError -> UsageError naming the command's
/// flag (--keep-fd, not the library's shielded_fds), any other Error ->
/// Failure(failed).
process_id start_program(const std::filesystem::path& pid_file, const Options& options, const detail::ExecSpec& exec,
                         process_id* keeper = nullptr);

} // namespace daemoniker::cli
