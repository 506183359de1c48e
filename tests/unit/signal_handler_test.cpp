// SignalHandler in this very process: signals raised or sent by a child, the
// handler thread, the default action's three faces, dispositions restored,
// and a storm of 10,000 signals.

#include <daemoniker/signals.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using daemoniker::Signal;
using daemoniker::SignalHandler;

// Something a custom handler reports to the test thread.
struct Mailbox {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::pair<int, std::thread::id>> calls;
    void put(int n) {
        std::lock_guard lock(m);
        calls.emplace_back(n, std::this_thread::get_id());
        cv.notify_all();
    }
    bool wait_count(std::size_t n, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, timeout, [&] { return calls.size() >= n; });
    }
};

bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

TEST(SignalNames, ParseAndPrint) {
    EXPECT_EQ(daemoniker::parse_signal("TERM"), Signal::sigterm);
    EXPECT_EQ(daemoniker::parse_signal("SIGTERM"), Signal::sigterm);
    EXPECT_EQ(daemoniker::parse_signal("sigint"), Signal::sigint);
    EXPECT_EQ(daemoniker::parse_signal("hup"), Signal::sighup);
    EXPECT_EQ(daemoniker::parse_signal("15"), Signal::sigterm);
    EXPECT_EQ(daemoniker::parse_signal("10"), Signal::sigusr1);
    EXPECT_FALSE(daemoniker::parse_signal(""));
    EXPECT_FALSE(daemoniker::parse_signal("KILL")); // not one of the six
    EXPECT_FALSE(daemoniker::parse_signal("SIG"));
    EXPECT_FALSE(daemoniker::parse_signal("99999999999999999999"));
    EXPECT_FALSE(daemoniker::parse_signal("-15"));
    EXPECT_EQ(daemoniker::to_string(Signal::sigabrt), "SIGABRT");
    EXPECT_EQ(daemoniker::to_number(Signal::sigusr2), SIGUSR2);
    EXPECT_EQ(daemoniker::signal_of<daemoniker::SigTerm>(), Signal::sigterm);
}

TEST(SignalHandlerInProcess, CustomHandlerRunsOnAnotherThread) {
    Mailbox box;
    SignalHandler h("/nonexistent/unused.pid");
    h.set(Signal::sigusr1, [&](int n) { box.put(n); });
    h.start();
    ASSERT_EQ(::raise(SIGUSR1), 0);
    ASSERT_TRUE(box.wait_count(1));
    EXPECT_EQ(box.calls[0].first, SIGUSR1);
    EXPECT_NE(box.calls[0].second, std::this_thread::get_id());
    h.stop();
}

TEST(SignalHandlerInProcess, DefaultActionThrowsAndRequestsStopAndRaisesTheDescriptor) {
    SignalHandler h("/nonexistent/unused.pid");
    h.start();
    EXPECT_NO_THROW(h.check());
    EXPECT_FALSE(h.wait_for(10ms));
    EXPECT_FALSE(h.stop_token().stop_requested());
    EXPECT_FALSE(readable(h.native_handle()));
    ASSERT_EQ(::raise(SIGTERM), 0);
    try {
        h.wait_for(5s);
        ADD_FAILURE() << "no exception";
    } catch (const daemoniker::SigTerm& e) {
        EXPECT_EQ(e.signal_number(), SIGTERM);
    }
    EXPECT_TRUE(h.stop_token().stop_requested());
    EXPECT_FALSE(readable(h.native_handle())); // consumed by wait_for
    EXPECT_NO_THROW(h.check());               // each signal is thrown once

    ASSERT_EQ(::raise(SIGINT), 0);
    // The descriptor turns readable once the signal is recorded.
    pollfd p{h.native_handle(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    EXPECT_TRUE(h.pending());
    EXPECT_THROW(h.check(), daemoniker::SigInt);
    EXPECT_FALSE(h.pending());
}

TEST(SignalHandlerInProcess, HandlerExceptionIsRethrownInTheWaitingThread) {
    SignalHandler h("/nonexistent/unused.pid");
    h.set(Signal::sigusr2, [](int) { throw std::runtime_error("handler failed"); });
    h.start();
    ASSERT_EQ(::raise(SIGUSR2), 0);
    EXPECT_THROW(h.wait_for(5s), std::runtime_error);
}

// wait_for()/wait_until() return false when the time is up and true when
// the handler is not started, so a waiting loop ends when another thread
// calls stop(); wait() returns then too, instead of blocking for ever.
TEST(SignalHandlerInProcess, WaitReturnsTrueOnceNoSignalCanArrive) {
    SignalHandler h("/nonexistent/unused.pid");
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(h.wait_for(5s)); // never started
    EXPECT_TRUE(h.wait_until(std::chrono::steady_clock::now() + 5s));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s) << "waited although no signal could arrive";

    h.start();
    EXPECT_FALSE(h.wait_for(10ms)); // started: the time ran out
    // stop() from another thread ends the wait. The stopper gives the wait
    // a moment to begin; either order must give true.
    std::thread stopper([&] {
        std::this_thread::sleep_for(50ms);
        h.stop();
    });
    const auto t1 = std::chrono::steady_clock::now();
    EXPECT_TRUE(h.wait_for(20s));
    EXPECT_LT(std::chrono::steady_clock::now() - t1, 10s);
    stopper.join();
    EXPECT_NO_THROW(h.wait()); // returns at once

    // A signal recorded before stop() is still thrown, before the "stopped".
    h.start();
    ASSERT_EQ(::raise(SIGTERM), 0);
    pollfd p{h.native_handle(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    h.stop();
    EXPECT_THROW(h.wait_for(5s), daemoniker::SigTerm);
    EXPECT_TRUE(h.wait_for(5s));
}

volatile std::sig_atomic_t old_handler_ran = 0;
extern "C" void old_handler(int) { old_handler_ran = 1; }

TEST(SignalHandlerInProcess, StopRestoresPreviousDispositionsAndIsIdempotent) {
    struct sigaction mine {};
    mine.sa_handler = old_handler;
    sigemptyset(&mine.sa_mask);
    ASSERT_EQ(::sigaction(SIGUSR1, &mine, nullptr), 0);
    ASSERT_EQ(::signal(SIGTERM, SIG_IGN) != SIG_ERR, true);

    Mailbox box;
    {
        SignalHandler h("/nonexistent/unused.pid");
        h.set(Signal::sigusr1, [&](int n) { box.put(n); });
        h.start();
        EXPECT_TRUE(h.started());
        struct sigaction now {};
        ::sigaction(SIGTERM, nullptr, &now);
        EXPECT_NE(now.sa_handler, SIG_IGN); // caught by the library now
        ASSERT_EQ(::raise(SIGUSR1), 0);
        ASSERT_TRUE(box.wait_count(1));
        EXPECT_EQ(old_handler_ran, 0);
        h.stop();
        h.stop();
        EXPECT_FALSE(h.started());
        ::sigaction(SIGTERM, nullptr, &now);
        EXPECT_EQ(now.sa_handler, SIG_IGN);
        ::sigaction(SIGUSR1, nullptr, &now);
        EXPECT_EQ(now.sa_handler, &old_handler);
    } // the destructor stops again: harmless
    ASSERT_EQ(::raise(SIGUSR1), 0);
    EXPECT_EQ(old_handler_ran, 1);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGUSR1, SIG_DFL);
}

TEST(SignalHandlerInProcess, ExtraSignalsAreLeftAloneUntilSet) {
    SignalHandler h("/nonexistent/unused.pid");
    h.start();
    struct sigaction now {};
    ::sigaction(SIGHUP, nullptr, &now);
    EXPECT_EQ(now.sa_handler, SIG_DFL);
    h.set(Signal::sighup, daemoniker::ignore_signal);
    ::sigaction(SIGHUP, nullptr, &now);
    EXPECT_NE(now.sa_handler, SIG_DFL);
    EXPECT_NE(now.sa_handler, SIG_IGN); // "ignore" is done by the library, not SIG_IGN
    ASSERT_EQ(::raise(SIGHUP), 0);     // survives
    h.reset(Signal::sighup);
    ::sigaction(SIGHUP, nullptr, &now);
    EXPECT_EQ(now.sa_handler, SIG_DFL);
}

TEST(SignalHandlerInProcess, OnlyOneStartedHandler) {
    SignalHandler a("/nonexistent/a.pid");
    SignalHandler b("/nonexistent/b.pid");
    a.start();
    a.start(); // idempotent for the same handler
    try {
        b.start();
        ADD_FAILURE() << "second handler started";
    } catch (const daemoniker::SignalError& e) {
        EXPECT_EQ(e.code(), daemoniker::errc::handler_active);
    }
    a.stop();
    EXPECT_NO_THROW(b.start());
}

TEST(SignalHandlerInProcess, ForkedChildGetsTheOldDispositionsBack) {
    SignalHandler h("/nonexistent/unused.pid");
    h.start();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        struct sigaction now {};
        ::sigaction(SIGTERM, nullptr, &now);
        ::_exit(now.sa_handler == SIG_DFL ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// 10,000 SIGUSR1 from a child while a slow handler runs: nothing crashes or
// deadlocks, and a handler call starts after the last signal was sent.
TEST(SignalHandlerInProcess, StormOfTenThousandSignals) {
    constexpr int storm = 10000;
    auto* sent = static_cast<std::atomic<int>*>(
        ::mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(sent, MAP_FAILED);
    new (sent) std::atomic<int>(0);
    std::atomic<int> calls{0};
    std::atomic<int> last_seen{0};
    SignalHandler h("/nonexistent/unused.pid");
    h.set(Signal::sigusr1, [&](int) {
        last_seen = sent->load(); // read at the start of the call
        ++calls;
        std::this_thread::sleep_for(100us); // a slow handler
    });
    h.start();
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        for (int i = 1; i <= storm; ++i) {
            sent->store(i);
            if (::kill(parent, SIGUSR1) != 0) ::_exit(1);
        }
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (last_seen.load() != storm && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(last_seen.load(), storm);
    EXPECT_GE(calls.load(), 1);
    EXPECT_LE(calls.load(), storm);
    // Still alive and responsive: the default action still works.
    ASSERT_EQ(::raise(SIGTERM), 0);
    EXPECT_THROW(h.wait_for(5s), daemoniker::SigTerm);
    h.stop();
    ::munmap(sent, sizeof(std::atomic<int>));
}

} // namespace
