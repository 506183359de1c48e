// The readiness socket on POSIX: an AF_UNIX datagram socket in a private
// directory, its senders identified with SCM_CREDENTIALS on Linux.
//
// Access: the directory is created 0700 by mkdtemp(); the socket inside is
// 0600, handed to the program's user when the program runs as another user
// (the directory then becomes 0711, so that user can reach the socket but
// nobody can list or add files). A sender must also show, through kernel
// checked credentials, the program's PID (and its uid or root).

#include "readiness.hpp"

#include "common.hpp"

#include "daemoniker_internal.hpp" // posix_features.hpp: which facilities this build uses

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <fcntl.h>
#if DAEMONIKER_HAVE_SIGNALFD
#include <sys/signalfd.h>
#endif

namespace daemoniker::cli {
namespace {

std::string errno_text(int e) { return std::error_code(e, std::system_category()).message(); }

// Where the private directory goes: $TMPDIR when it is absolute and short
// enough for a socket address (sun_path holds about 100 bytes), else /tmp.
std::string temp_base() {
    const char* tmp = std::getenv("TMPDIR");
    if (tmp != nullptr && tmp[0] == '/' && std::strlen(tmp) < 60) return tmp;
    return "/tmp";
}

struct Received {
    bool got = false;       // false: nothing pending
    bool accepted = false;  // from an allowed sender, complete
    std::string data;
};

// Reads one pending datagram, closing any descriptors sent along with it
// (sd_notify_barrier() waits for exactly that; FDSTORE=1 is not served).
// Accepted only from the program itself, `main_pid`, as under systemd's
// default NotifyAccess=main: a READY=1 of one of its children (a worker, a
// helper script) does not mean that the program is ready.
Received receive(int fd, [[maybe_unused]] process_id main_pid, [[maybe_unused]] std::uint32_t sender_uid) {
    Received r;
    char buf[notify_datagram_max + 1];
#if DAEMONIKER_HAVE_SCM_CREDENTIALS
    constexpr std::size_t creds_space = CMSG_SPACE(sizeof(ucred));
#else
    constexpr std::size_t creds_space = 0;
#endif
    alignas(cmsghdr) char control[creds_space + CMSG_SPACE(sizeof(int) * 253)];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    int flags = MSG_DONTWAIT;
#ifdef MSG_CMSG_CLOEXEC
    flags |= MSG_CMSG_CLOEXEC;
#endif
    ssize_t n = -1;
    do {
        n = ::recvmsg(fd, &msg, flags);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return r;
    r.got = true;
#if DAEMONIKER_HAVE_SCM_CREDENTIALS
    bool credentials_ok = false; // SO_PASSCRED: the kernel attaches them to every datagram
#else
    bool credentials_ok = true; // no way to tell the sender
#endif
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_RIGHTS) {
            const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (std::size_t i = 0; i < count; ++i) {
                int passed = -1;
                std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
                if (passed >= 0) ::close(passed);
            }
        }
#if DAEMONIKER_HAVE_SCM_CREDENTIALS
        if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
            ucred who{};
            std::memcpy(&who, CMSG_DATA(c), sizeof who);
            credentials_ok = who.pid == main_pid && (who.uid == sender_uid || who.uid == 0);
        }
#endif
    }
    const bool complete = (msg.msg_flags & MSG_TRUNC) == 0 && static_cast<std::size_t>(n) <= notify_datagram_max;
    r.accepted = credentials_ok && complete;
    if (r.accepted) r.data.assign(buf, static_cast<std::size_t>(n));
    return r;
}

} // namespace

NotifySocket::NotifySocket(std::optional<Owner> owner) {
    std::string dir = temp_base() + "/daemoniker-notify.XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr)
        throw Failure(exit_status::failed, "cannot create a directory for the readiness socket in " + temp_base() +
                                               ": " + errno_text(errno));
    dir_ = dir;
    const std::string path = dir_ + "/notify";
    auto fail = [&](const std::string& what) {
        const int e = errno;
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        ::unlink(path.c_str());
        ::rmdir(dir_.c_str());
        throw Failure(exit_status::failed, "cannot create the readiness socket '" + path + "': " + what + ": " + errno_text(e));
    };
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        fail("address");
    }
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
#if DAEMONIKER_HAVE_SOCK_CLOEXEC
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) fail("socket");
#else
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd_ < 0) fail("socket");
    if (::fcntl(fd_, F_SETFD, FD_CLOEXEC) != 0 || ::fcntl(fd_, F_SETFL, O_NONBLOCK) != 0) fail("fcntl");
#endif
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) fail("bind");
#if DAEMONIKER_HAVE_SCM_CREDENTIALS
    const int on = 1;
    if (::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) fail("SO_PASSCRED");
#endif
    if (::chmod(path.c_str(), 0600) != 0) fail("chmod");
    if (owner) {
        if (::chown(path.c_str(), owner->uid, owner->gid) != 0) fail("chown");
        if (::chmod(dir_.c_str(), 0711) != 0) fail("chmod directory");
    }
    address_ = path;
}

NotifySocket::~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    if (!address_.empty()) ::unlink(address_.c_str());
    if (!dir_.empty()) ::rmdir(dir_.c_str());
}

#if !DAEMONIKER_HAVE_SIGNALFD
namespace {
// Without signalfd: a self-pipe. The handler writes the signal's number;
// taken() reads it. One Interrupts exists at a time (start's wait).
int interrupt_pipe = -1;

extern "C" void on_interrupt(int signal_number) {
    const int saved = errno;
    const auto byte = static_cast<unsigned char>(signal_number);
    [[maybe_unused]] const auto n = ::write(interrupt_pipe, &byte, 1);
    errno = saved;
}
} // namespace
#endif

struct Interrupts::Masks {
    sigset_t set{};
    sigset_t old{};
    int write_end = -1;
};

Interrupts::Interrupts() : masks_(std::make_unique<Masks>()) {
    sigemptyset(&masks_->set);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&masks_->set, sig);
#if DAEMONIKER_HAVE_SIGNALFD
    if (::sigprocmask(SIG_BLOCK, &masks_->set, &masks_->old) != 0) return;
    fd_ = ::signalfd(-1, &masks_->set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd_ < 0) ::sigprocmask(SIG_SETMASK, &masks_->old, nullptr);
#else
    int fds[2];
    if (::pipe(fds) != 0) return;
    for (int fd : fds)
        if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || ::fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
            ::close(fds[0]);
            ::close(fds[1]);
            return;
        }
    fd_ = fds[0];
    masks_->write_end = interrupt_pipe = fds[1];
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
#endif
}

Interrupts::~Interrupts() {
    if (fd_ < 0) return;
    // The signals stay blocked: start ends once the wait is over, and is
    // still stopping the program, reporting and removing its socket. A
    // signal unblocked now (a second Ctrl-C, pending since) would end it
    // before that; blocked, it is discarded when the process exits.
#if !DAEMONIKER_HAVE_SIGNALFD
    ::sigprocmask(SIG_BLOCK, &masks_->set, nullptr);
    ::close(masks_->write_end);
    interrupt_pipe = -1;
#endif
    ::close(fd_);
}

int Interrupts::taken() const {
#if DAEMONIKER_HAVE_SIGNALFD
    signalfd_siginfo info{};
    if (fd_ >= 0 && ::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
        return static_cast<int>(info.ssi_signo);
#else
    unsigned char byte = 0;
    if (fd_ >= 0 && ::read(fd_, &byte, 1) == 1) return byte;
#endif
    return 0;
}

Readiness wait_ready(const NotifySocket& socket, process_id main_pid, const Process& program,
                     const Interrupts& interrupts, std::uint32_t sender_uid, clock::time_point deadline) {
    Readiness result;
    const int pidfd = program.native_handle();
    for (;;) {
        // poll() ignores a descriptor of -1: no pidfd, no signalfd.
        pollfd fds[3] = {{socket.native_handle(), POLLIN, 0}, {pidfd, POLLIN, 0},
                         {interrupts.native_handle(), POLLIN, 0}};
        int timeout = remaining_ms(deadline);
        if (pidfd < 0 && timeout > 50) timeout = 50; // no pidfd: look at the process table now and then
        const int ready = ::poll(fds, 3, timeout);
        if (ready < 0 && errno != EINTR)
            throw Failure(exit_status::failed, "waiting for readiness: " + errno_text(errno));
        if (const int sig = interrupts.taken()) {
            result.outcome = Readiness::Outcome::interrupted;
            result.signal = sig;
            return result;
        }
        // Datagrams first, so the status text of a program that exits is kept.
        for (;;) {
            const auto got = receive(socket.native_handle(), main_pid, sender_uid);
            if (!got.got) break;
            if (!got.accepted) {
                ++result.dropped;
                continue;
            }
            const auto message = parse_notify(got.data);
            if (!message.valid) {
                ++result.dropped;
                continue;
            }
            if (message.status) result.status = *message.status;
            if (message.error && !message.ready) {
                result.outcome = Readiness::Outcome::error;
                result.error = *message.error;
                return result;
            }
            if (message.ready && !program.exited()) {
                result.outcome = Readiness::Outcome::ready;
                return result;
            }
        }
        if (program.exited()) {
            result.outcome = Readiness::Outcome::exited;
            return result;
        }
        if (clock::now() >= deadline) {
            result.outcome = Readiness::Outcome::timeout;
            return result;
        }
    }
}

} // namespace daemoniker::cli
