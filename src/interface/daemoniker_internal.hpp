#pragma once
// The library's internal interface for the `daemoniker` command: what the
// command uses beyond the public API. The command's include path holds this
// directory only, not src/: what it uses of the library is this list, and
// a new use shows up here, in review. (The headers below include others of
// src/; those are not the command's to use directly.) Neither installed nor stable: the command is built with
// the library it ships with, and links it statically even in a shared build
// (a shared library exports only the DAEMONIKER_API symbols).
//
//   exec.hpp            daemonize_and_exec(): daemonize, then run a program as the
//                       daemon (the lock keeper on POSIX, the supervisor on
//                       Windows); ExecSpec
//   options.hpp         resolve(): the library's option checks, so that a bad
//                       flag is reported before anything is forked; Identity,
//                       whom --user/--group name
//   pid_file_internal.hpp read_pid_file() and PidFileReading (POSIX), the one
//                       reader with the trust rule; refusal_reason();
//                       remove_if_abandoned()
//   pidfd.hpp           POSIX: pidfd_open(), pidfd_send_signal(), pidfd_exited()
//   posix_features.hpp  POSIX: DAEMONIKER_HAVE_*, which facilities this build
//                       uses (the command takes the same fallbacks)
//   win.hpp             Windows: Handle, widen(), narrow(), last_error(),
//                       creation_time()
//   signal_channel.hpp  Windows: send_to_channel(), past the PID file
//   service.hpp         Windows: fail_before_startup(), for the command's own
//                       checks when the SCM started it

#include "../exec.hpp"
#include "../options.hpp"
#include "../pid_file_internal.hpp"

#ifdef _WIN32
#include "../service.hpp"
#include "../signal_channel.hpp"
#include "../win.hpp"
#else
#include "../pidfd.hpp"
#include "../posix_features.hpp"
#endif
