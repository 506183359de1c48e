#pragma once
// The foreground mode (Options::detach): the steps of daemonization that
// still make sense without detaching, in this very process, and when a
// service manager asks for it.

#include "options.hpp"
#include "startup.hpp"

#include <daemoniker/errors.hpp>

#include <filesystem>
#include <system_error>

namespace daemoniker::detail {

/// True when daemonize() must stay in the foreground (Options::detach).
bool stays_in_foreground(const Options& options);
/// Started by a service manager: POSIX, NOTIFY_SOCKET or INVOCATION_ID set,
/// or parent PID 1. Windows: the Service Control Manager started the
/// process (service.hpp).
bool supervised() noexcept;

/// The foreground mode: umask, chdir, PID file and the given streams in
/// this very process. Throws like daemonization.
void run_foreground(const Resolved& r);

/// Platform pieces of the foreground mode.
void foreground_umask(int mask) noexcept;
std::error_code foreground_chdir(const std::filesystem::path& dir) noexcept;
process_id current_pid() noexcept;
/// chroot, core dumps, privilege drop (confine.hpp); false with `failure`
/// filled when a step failed. Windows: nothing (the options are refused).
bool foreground_confine(const Resolved& r, Failure& failure) noexcept;

} // namespace daemoniker::detail
