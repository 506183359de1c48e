// Signals on Windows: each daemon serves a named pipe,
// \\.\pipe\daemoniker-signal-<pid>-<creation time>, on a listener thread.
// send() connects, writes the signal number and returns once the daemon has
// acknowledged receipt. Receipt marks the signal pending and wakes the
// dispatcher thread, which runs the actions exactly as on POSIX. Ctrl-C and
// Ctrl-Break (where a console exists) mark SIGINT the same way.
//
// The acknowledgement is one byte: 1 received, 2 dropped (SIGHUP, SIGUSR1 or
// SIGUSR2 whose action is the default: POSIX would end the process, Windows
// has nothing to do, and the sender is told so), 0 not a signal.
//
// Access: the pipe's DACL grants access to the daemon's own user and to
// LocalSystem only, and remote clients are rejected.

#include "signals.hpp"

#include "pid_file_internal.hpp"
#include "startup.hpp"
#include "signal_channel.hpp"
#include "win.hpp"

#include <sddl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace daemoniker {

int to_number(Signal signal) noexcept {
    switch (signal) {
    case Signal::sigint: return SIGINT;
    case Signal::sigterm: return SIGTERM;
    case Signal::sigabrt: return SIGABRT;
    // Not C runtime signals on Windows: the library's channel carries them
    // under their Linux numbers.
    case Signal::sighup: return 1;
    case Signal::sigusr1: return 10;
    case Signal::sigusr2: return 12;
    }
    return 0;
}

} // namespace daemoniker

namespace daemoniker::detail {
namespace {

std::atomic<std::uint32_t> pending_bits{0};
std::atomic<HANDLE> wake_event{nullptr};
// One SignalHandler runs per process, so the filter is process-wide too.
std::atomic<win::ReceiptFilter> receipt_filter{nullptr};
std::atomic<void*> receipt_context{nullptr};

constexpr char ack_invalid = 0;
constexpr char ack_received = 1;
constexpr char ack_dropped = 2;

void mark(Signal s) noexcept {
    pending_bits.fetch_or(1u << index(s), std::memory_order_release);
    if (HANDLE w = wake_event.load()) ::SetEvent(w);
}

BOOL WINAPI on_console_event(DWORD type) {
    if (type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT) {
        mark(Signal::sigint);
        return TRUE;
    }
    return FALSE;
}

// A DACL for the daemon's own user and LocalSystem.
struct Security {
    SECURITY_ATTRIBUTES attributes{sizeof(SECURITY_ATTRIBUTES), nullptr, FALSE};
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    Security() {
        HANDLE token = nullptr;
        if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return;
        DWORD size = 0;
        ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
        std::vector<char> buf(size);
        wchar_t* sid = nullptr;
        if (::GetTokenInformation(token, TokenUser, buf.data(), size, &size) &&
            ::ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid, &sid)) {
            const std::wstring sddl = L"D:P(A;;GA;;;" + std::wstring(sid) + L")(A;;GA;;;SY)";
            ::LocalFree(sid);
            if (::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &descriptor, nullptr))
                attributes.lpSecurityDescriptor = descriptor;
        }
        ::CloseHandle(token);
    }
    ~Security() {
        if (descriptor != nullptr) ::LocalFree(descriptor);
    }
    Security(const Security&) = delete;
    Security& operator=(const Security&) = delete;
};

} // namespace

struct SignalPlatform {
    detail::SignalState* state = nullptr;
    std::wstring pipe_name;
    Security security;
    win::Handle stop_event{::CreateEventW(nullptr, TRUE, FALSE, nullptr)};
    win::Handle wake{::CreateEventW(nullptr, FALSE, FALSE, nullptr)};
    std::thread listener;
    std::thread dispatcher;
    bool console_hooked = false;

    HANDLE make_instance(bool first) {
        return ::CreateNamedPipeW(pipe_name.c_str(),
                                  PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
                                  PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                  PIPE_UNLIMITED_INSTANCES, 64, 64, 0, &security.attributes);
    }

    // Waits for an overlapped operation, the stop event, or `ms`.
    bool finish(HANDLE pipe, OVERLAPPED& ov, DWORD ms, DWORD& transferred) {
        HANDLE both[2] = {stop_event.get(), ov.hEvent};
        const DWORD r = ::WaitForMultipleObjects(2, both, FALSE, ms);
        if (r != WAIT_OBJECT_0 + 1) {
            ::CancelIoEx(pipe, &ov);
            ::GetOverlappedResult(pipe, &ov, &transferred, TRUE);
            return false;
        }
        return ::GetOverlappedResult(pipe, &ov, &transferred, FALSE) != 0;
    }

    // The verdict on a received number; marks the signal unless it is dropped.
    char receive(std::int32_t number) {
        const auto sig = signal_from_number(number);
        if (!sig) return ack_invalid;
        win::Receipt receipt = win::Receipt::pass;
        if (const auto filter = receipt_filter.load()) {
            receipt = filter(number, receipt_context.load());
        } else {
            // What POSIX would not catch (SIGHUP/USR1/USR2 left at the
            // default) has no action here.
            std::lock_guard lock(state->mutex);
            if (!needs_catching(*sig, state->actions[index(*sig)].kind())) receipt = win::Receipt::dropped;
        }
        if (receipt == win::Receipt::pass) mark(*sig);
        return receipt == win::Receipt::dropped ? ack_dropped : ack_received;
    }

    // One client on a connected instance: read the number, mark the signal,
    // acknowledge, and wait (briefly) for the client to hang up.
    void serve(HANDLE pipe, HANDLE event) {
        OVERLAPPED ov{};
        ov.hEvent = event;
        std::int32_t number = 0;
        DWORD n = 0;
        if (!::ReadFile(pipe, &number, sizeof number, nullptr, &ov) && ::GetLastError() != ERROR_IO_PENDING) return;
        if (!finish(pipe, ov, 2000, n) || n != sizeof number) return;
        const char ack = receive(number);
        ov = {};
        ov.hEvent = event;
        if (!::WriteFile(pipe, &ack, 1, nullptr, &ov) && ::GetLastError() != ERROR_IO_PENDING) return;
        if (!finish(pipe, ov, 2000, n)) return;
        char eof;
        ov = {};
        ov.hEvent = event;
        if (!::ReadFile(pipe, &eof, 1, nullptr, &ov) && ::GetLastError() == ERROR_IO_PENDING) finish(pipe, ov, 2000, n);
    }

    // Starts listening on an instance; true if a client is already there.
    static bool listen_on(HANDLE pipe, OVERLAPPED& ov) {
        ::ResetEvent(ov.hEvent);
        if (::ConnectNamedPipe(pipe, &ov)) return true;
        const DWORD e = ::GetLastError();
        if (e == ERROR_PIPE_CONNECTED) {
            ::SetEvent(ov.hEvent);
            return true;
        }
        return false; // ERROR_IO_PENDING: the event fires on connection
    }

    // Two instances listen at all times: while one serves a client, the other
    // accepts the next, and no instance is ever created on the critical path.
    // An instance is reused (DisconnectNamedPipe + ConnectNamedPipe).
    void listen(HANDLE first) {
        win::Handle pipes[2] = {win::Handle(first), win::Handle(make_instance(false))};
        win::Handle connected[2] = {win::Handle(::CreateEventW(nullptr, TRUE, FALSE, nullptr)),
                                    win::Handle(::CreateEventW(nullptr, TRUE, FALSE, nullptr))};
        win::Handle io(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
        OVERLAPPED ov[2] = {};
        bool already[2] = {false, false}; // connected before ConnectNamedPipe returned
        const int count = pipes[1].valid() ? 2 : 1;
        for (int i = 0; i < count; ++i) {
            ov[i].hEvent = connected[i].get();
            already[i] = listen_on(pipes[i].get(), ov[i]);
        }
        HANDLE waits[3] = {stop_event.get(), connected[0].get(), connected[1].get()};
        for (;;) {
            const DWORD r = ::WaitForMultipleObjects(static_cast<DWORD>(count + 1), waits, FALSE, INFINITE);
            if (r == WAIT_OBJECT_0 || r == WAIT_FAILED) break;
            const auto i = static_cast<std::size_t>(r - WAIT_OBJECT_0 - 1);
            DWORD n = 0;
            if (already[i] || ::GetOverlappedResult(pipes[i].get(), &ov[i], &n, FALSE)) serve(pipes[i].get(), io.get());
            ::DisconnectNamedPipe(pipes[i].get());
            ov[i] = {};
            ov[i].hEvent = connected[i].get();
            already[i] = listen_on(pipes[i].get(), ov[i]);
        }
        for (int i = 0; i < count; ++i) ::CancelIoEx(pipes[i].get(), &ov[i]);
    }

    void dispatch() {
        HANDLE both[2] = {stop_event.get(), wake.get()};
        for (;;) {
            if (::WaitForMultipleObjects(2, both, FALSE, INFINITE) != WAIT_OBJECT_0 + 1) return;
            const auto bits = pending_bits.exchange(0, std::memory_order_acq_rel);
            for (std::size_t i = 0; i < signal_count; ++i)
                if ((bits & (1u << i)) != 0) state->deliver(static_cast<Signal>(i));
        }
    }
};

void SignalPlatformDeleter::operator()(SignalPlatform* p) const noexcept { delete p; }

PlatformPtr platform_start(detail::SignalState& state) {
    PlatformPtr p(new SignalPlatform);
    p->state = &state;
    p->pipe_name = win::signal_pipe_name(::GetCurrentProcessId(), win::creation_time(::GetCurrentProcess()));
    if (!p->stop_event.valid() || !p->wake.valid()) {
        const auto ec = win::last_error();
        throw SignalError("cannot start SignalHandler: CreateEvent: " + describe(ec), ec);
    }
    HANDLE first = p->make_instance(true);
    if (first == INVALID_HANDLE_VALUE) {
        const auto ec = win::last_error();
        throw SignalError("cannot start SignalHandler: CreateNamedPipe '" + win::narrow(p->pipe_name) + "': " + describe(ec), ec);
    }
    pending_bits.store(0);
    wake_event.store(p->wake.get());
    p->console_hooked = ::SetConsoleCtrlHandler(on_console_event, TRUE) != 0;
    auto* raw = p.get();
    p->listener = std::thread([raw, first] { raw->listen(first); });
    p->dispatcher = std::thread([raw] { raw->dispatch(); });
    return p;
}

void platform_stop(SignalPlatform& p) noexcept {
    if (p.console_hooked) ::SetConsoleCtrlHandler(on_console_event, FALSE);
    wake_event.store(nullptr);
    ::SetEvent(p.stop_event.get());
    if (p.listener.joinable()) p.listener.join();
    if (p.dispatcher.joinable()) p.dispatcher.join();
}

// Windows has no dispositions to change: every signal arrives over the
// channel, and an action of by_default for SIGHUP/USR1/USR2 drops it.
void platform_catch(SignalPlatform&, Signal, bool) {}

// ---- Notifier: a manual-reset event ----------------------------------------

Notifier::Notifier() {
    read_ = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (read_ == nullptr) {
        const auto ec = win::last_error();
        throw SignalError("cannot create the SignalHandler event: " + describe(ec), ec);
    }
    write_ = read_;
}

Notifier::~Notifier() { ::CloseHandle(read_); }
void Notifier::raise() noexcept { ::SetEvent(read_); }
void Notifier::clear() noexcept { ::ResetEvent(read_); }
SignalHandler::native_handle_type Notifier::handle() const noexcept { return read_; }

} // namespace daemoniker::detail

// ---- send ------------------------------------------------------------------

namespace daemoniker {

void send(const std::filesystem::path& pid_file, int signal_number, std::error_code& ec) noexcept {
    ec.clear();
    if (!signal_from_number(signal_number)) {
        ec = make_error_code(errc::invalid_signal);
        return;
    }
    std::string head;
    bool locked = false;
    ec = detail::read_pid_file(pid_file, head, locked);
    if (ec) return;
    const auto pid = parse_pid(head);
    const auto created = detail::pid_file_creation_time(head);
    if (!pid || created == 0) {
        ec = make_error_code(errc::malformed_pid_file);
        return;
    }
    if (!locked) {
        ec = make_error_code(errc::stale_pid_file);
        return;
    }
    detail::win::send_to_channel(static_cast<std::uint64_t>(*pid), created, signal_number, ec);
}

} // namespace daemoniker

namespace daemoniker::detail::win {

namespace {

DWORD remaining_ms(std::chrono::steady_clock::time_point deadline) noexcept {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() <= 0 ? 0 : static_cast<DWORD>(left.count());
}

} // namespace

void send_to_channel(std::uint64_t pid, std::uint64_t created, int signal_number, std::error_code& ec,
                     std::chrono::milliseconds patience, std::chrono::milliseconds limit) noexcept {
    ec.clear();
    // The pipe's name carries the creation time from the PID file: a process
    // that merely reused the PID serves no such pipe.
    const std::wstring name = signal_pipe_name(pid, created);
    Handle pipe;
    const auto now = std::chrono::steady_clock::now();
    const auto deadline = now + limit;
    const auto no_channel_after = now + patience;
    while (!pipe.valid()) {
        pipe.reset(::CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                                 FILE_FLAG_OVERLAPPED, nullptr));
        if (pipe.valid()) break;
        const DWORD e = ::GetLastError();
        if (std::chrono::steady_clock::now() > deadline) {
            ec.assign(static_cast<int>(e), std::system_category());
            return;
        }
        if (e == ERROR_PIPE_BUSY) {
            // (0 would mean the pipe's default wait.)
            ::WaitNamedPipeW(name.c_str(), std::clamp<DWORD>(remaining_ms(deadline), 1, 1000));
        } else if (e == ERROR_FILE_NOT_FOUND) {
            // No instance: no SignalHandler (yet).
            if (std::chrono::steady_clock::now() >= no_channel_after) {
                ec = make_error_code(errc::no_signal_channel);
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else {
            ec.assign(static_cast<int>(e), std::system_category());
            return;
        }
    }
    DWORD mode = PIPE_READMODE_MESSAGE;
    ::SetNamedPipeHandleState(pipe.get(), &mode, nullptr, nullptr);
    std::int32_t number = signal_number;
    DWORD n = 0;
    char ack = 0;
    // Write the number and read the acknowledgement in one call, overlapped:
    // a daemon that stopped answering (suspended, or its listener stuck)
    // must not hold the sender, or a supervisor passing a signal on, forever.
    Handle done(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!done.valid()) {
        ec = last_error();
        return;
    }
    OVERLAPPED ov{};
    ov.hEvent = done.get();
    if (!::TransactNamedPipe(pipe.get(), &number, sizeof number, &ack, 1, nullptr, &ov)) {
        if (::GetLastError() != ERROR_IO_PENDING) {
            ec = last_error();
            return;
        }
        if (::WaitForSingleObject(done.get(), remaining_ms(deadline)) != WAIT_OBJECT_0) {
            ::CancelIoEx(pipe.get(), &ov);
            ::GetOverlappedResult(pipe.get(), &ov, &n, TRUE);
            // (Not std::errc::timed_out, which mingw's runtime calls "Unknown error".)
            ec.assign(static_cast<int>(ERROR_TIMEOUT), std::system_category());
            return;
        }
    }
    if (!::GetOverlappedResult(pipe.get(), &ov, &n, FALSE) || n != 1) {
        ec = last_error();
        if (!ec) ec = std::make_error_code(std::errc::protocol_error);
        return;
    }
    if (ack == ack_dropped) ec = make_error_code(errc::signal_dropped);
    else if (ack != ack_received) ec = make_error_code(errc::invalid_signal);
}

void set_receipt_filter(ReceiptFilter filter, void* context) noexcept {
    // The filter goes first and comes last, so that it is never called with
    // another filter's context (a filter also refuses a null one).
    receipt_filter.store(nullptr);
    receipt_context.store(context);
    receipt_filter.store(filter);
}

std::wstring signal_pipe_name(std::uint64_t pid, std::uint64_t created) {
    return L"\\\\.\\pipe\\daemoniker-signal-" + std::to_wstring(pid) + L"-" + std::to_wstring(created);
}

} // namespace daemoniker::detail::win
