#pragma once
// `start --wait-ready`: the command serves the sd_notify protocol itself, on
// a private datagram socket whose address the program finds in NOTIFY_SOCKET,
// exactly as systemd would give it to a Type=notify service.

#include "notify_message.hpp"
#include "process.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace daemoniker::cli {

/// The socket, in a new private directory that the destructor removes.
class NotifySocket {
public:
    /// Creates it. `owner`: the uid/gid the program will run as when that is
    /// not this process's (the socket is handed to them, nobody else can
    /// reach it). Throws Failure.
    struct Owner {
        std::uint32_t uid;
        std::uint32_t gid;
    };
    explicit NotifySocket(std::optional<Owner> owner);
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;
    ~NotifySocket();

    /// The value of NOTIFY_SOCKET for the program.
    [[nodiscard]] const std::string& address() const noexcept { return address_; }
    [[nodiscard]] int native_handle() const noexcept { return fd_; }

private:
    int fd_ = -1;
    std::string dir_;
    std::string address_;
};

struct Readiness {
    enum class Outcome { ready, error, exited, timeout, interrupted };
    Outcome outcome = Outcome::timeout;
    int error = 0;      ///< Outcome::error: the ERRNO= the program sent (0 if none)
    int signal = 0;     ///< Outcome::interrupted: the signal that asked us to give up
    std::string status; ///< the last STATUS= the program sent
    std::size_t dropped = 0; ///< datagrams refused (foreign sender, too long, malformed)
};

/// From its creation to the end of this process, SIGINT, SIGTERM and SIGHUP
/// do not end it: while it lives they are kept for wait_ready(), which then
/// reports them, so that start can stop a half-started program instead of
/// leaving it behind (Linux: a signalfd; elsewhere the signals keep their
/// default action). Create it before the program is started: a signal that
/// comes meanwhile waits for wait_ready(). They stay blocked after it is
/// gone, since start is then ending: a further Ctrl-C while it stops the
/// program must not cut short its report and the removal of its socket
/// directory. The program does not inherit the blocked mask (the daemon
/// resets it).
class Interrupts {
public:
    Interrupts();
    Interrupts(const Interrupts&) = delete;
    Interrupts& operator=(const Interrupts&) = delete;
    ~Interrupts();
    /// The descriptor that becomes readable on a signal, or -1.
    [[nodiscard]] int native_handle() const noexcept { return fd_; }
    /// The signal received, or 0.
    [[nodiscard]] int taken() const;

private:
    int fd_ = -1;
    struct Masks;
    std::unique_ptr<Masks> masks_;
};

/// Waits until the program sends READY=1 (ready) or ERRNO= (error), exits,
/// `interrupts` reports a signal (interrupted), or `deadline` passes. Only
/// datagrams sent by the program itself (`main_pid`, as systemd's default
/// NotifyAccess=main) running as `sender_uid` or root count, checked with
/// SCM_CREDENTIALS where the system has them; the others are counted in
/// Readiness::dropped. `program` is `main_pid` pinned, or empty when it had
/// ended before it could be (its datagrams still count: they were sent).
Readiness wait_ready(const NotifySocket& socket, process_id main_pid, const Process& program,
                     const Interrupts& interrupts, std::uint32_t sender_uid, clock::time_point deadline);

} // namespace daemoniker::cli
