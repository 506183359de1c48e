#pragma once
// The Windows half of daemonize-and-exec (src/exec.hpp). Windows has no
// exec(): the daemon cannot become the program. It stays as a small
// supervisor instead, which owns the PID file and the signal channel and
// runs the program as its child:
//
//   daemoniker start ─ re-launch ─> supervisor (PID file, channel) ─> program
//                                        │ job object: the program and its
//                                        │ children end with the supervisor
//
// A signal that reaches the supervisor is passed on, in this order of
// preference:
//   1. over the program's own daemoniker channel, when the program runs a
//      SignalHandler (all six signals, with the program's cleanup);
//   2. SIGINT and SIGTERM: Ctrl-Break to the program's process group in its
//      own hidden console (Ctrl-C cannot be addressed to one group);
//   3. when neither can be delivered: SIGINT, SIGTERM and SIGABRT terminate
//      the program (TerminateProcess, exit code 128 + the signal number, or 3
//      for SIGABRT as abort() gives), since a program that cannot be asked
//      has no cleanup to run; SIGHUP, SIGUSR1 and SIGUSR2 are dropped with a
//      line on the supervisor's stderr.
// SIGHUP, SIGUSR1 and SIGUSR2 are passed on while the sender waits for the
// acknowledgement (bounded to a second), so that one the program drops, or
// cannot receive, is reported to the sender as errc::signal_dropped. The
// others are passed on after the acknowledgement, on the handler's thread.
// The supervisor exits with the program's exit code and removes the PID file.

#include "options.hpp"
#include "startup.hpp"

#include <daemoniker/errors.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace daemoniker::detail {

struct ExecSpec;

/// What the original process sends the supervisor: the program (absolute),
/// its argv and environment.
std::string encode_program(const std::filesystem::path& program, const ExecSpec& exec);

class Supervisor {
public:
    Supervisor();
    ~Supervisor();
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    /// Decodes the program from `payload` and starts it: suspended, placed in
    /// a kill-on-close job, then resumed; then opens the signal channel.
    /// Returns no failure (error 0, no detail) once it runs. Otherwise a
    /// Step::exec failure with the Win32 error, with errc::no_signal_channel
    /// when the program started but the supervisor's own SignalHandler did
    /// not; nothing is then left running. (A supervisor killed between
    /// CreateProcess and the job assignment, a few system calls, would leave
    /// the suspended program behind.)
    Failure launch(const Resolved& r, std::string_view payload) noexcept;

    /// Serves signals until the program exits, then exits with its exit code.
    [[noreturn]] void run();

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace daemoniker::detail
