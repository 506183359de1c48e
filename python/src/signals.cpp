// SignalHandler1 for Python on top of the engine's SignalHandler. The engine
// receives the signals on its own thread; Python code must run in the main
// thread, which may sit in time.sleep() or a blocking read. So the engine's
// action queues the signal number, and a small courier thread sends the
// main thread a wake-up signal whose Python-level handler (installed by
// daemoniker._signals) takes one number off the queue and acts on it: the
// kernel interrupts the main thread's system call with EINTR, and Python
// runs that handler before it retries the call (PEP 475), so an exception
// it raises ends the sleep or the read.
//
// The courier repeats the wake-up every few milliseconds for as long as the
// queue is not empty. Python runs a tripped handler only at its next check
// between bytecodes, so a wake-up that lands just before the main thread
// enters a blocking call, or while it is busy with the previous signal (the
// handler does not take a second one then, see _signals.py), would
// otherwise leave the signal waiting until that call returns by itself.

#include "engine.hpp"

#include <daemoniker/signals.hpp>

#include <pybind11/stl.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <pthread.h>
#include <string>
#include <thread>
#include <unistd.h>

namespace py = pybind11;

namespace daemoniker_py {
namespace {

constexpr auto resend_interval = std::chrono::milliseconds(5);

// Shared by the engine's signal thread (post), the courier and the main
// thread (take).
struct Mailbox {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<int> pending;
    bool stopping = false;
    pthread_t main_thread{};
    int wake_signal = 0;

    void post(int number) {
        {
            const std::lock_guard lock(mutex);
            pending.push_back(number);
        }
        changed.notify_one();
    }

    void courier() {
        std::unique_lock lock(mutex);
        while (!stopping) {
            if (pending.empty()) {
                changed.wait(lock);
                continue;
            }
            ::pthread_kill(main_thread, wake_signal);
            changed.wait_for(lock, resend_interval);
        }
    }
};

daemoniker::Signal signal_named(int number) {
    const auto signal = daemoniker::signal_from_number(number);
    if (!signal) throw py::value_error("signal " + std::to_string(number) + " is not one daemoniker handles");
    return *signal;
}

// What the package asks the engine to do with one signal.
enum class Kind { system_default = 0, to_python = 1, ignore = 2 };

class Handler {
public:
    Handler(const py::bytes& pid_file, int wake_signal)
        : mailbox_(std::make_shared<Mailbox>()), handler_(std::filesystem::path(std::string(pid_file))) {
        // Created in the main thread (daemoniker._signals makes sure), which
        // is the thread Python runs signal handlers in.
        mailbox_->main_thread = ::pthread_self();
        mailbox_->wake_signal = wake_signal;
    }

    void set(int number, int kind) {
        const daemoniker::Signal signal = signal_named(number);
        switch (static_cast<Kind>(kind)) {
        case Kind::system_default: handler_.set(signal, daemoniker::default_action); break;
        case Kind::ignore: handler_.set(signal, daemoniker::ignore_signal); break;
        case Kind::to_python: {
            auto mailbox = mailbox_;
            handler_.set(signal, [mailbox](int n) { mailbox->post(n); });
            break;
        }
        default: throw py::value_error("unknown action kind " + std::to_string(kind));
        }
    }

    ~Handler() { stop(); }
    Handler(const Handler&) = delete;
    Handler& operator=(const Handler&) = delete;

    void start() {
        {
            const std::lock_guard lock(mailbox_->mutex);
            mailbox_->stopping = false;
            mailbox_->pending.clear();
        }
        owner_ = ::getpid();
        courier_ = std::thread([mailbox = mailbox_] { mailbox->courier(); });
        try {
            handler_.start();
        } catch (const daemoniker::Error& e) {
            stop_courier();
            raise_engine_error(e);
        }
    }

    void stop() {
        // Joins the engine's thread and the courier, neither of which ever
        // waits for the GIL.
        handler_.stop();
        stop_courier();
    }

    bool started() const { return handler_.started(); }

    std::optional<int> take() {
        const std::lock_guard lock(mailbox_->mutex);
        if (mailbox_->pending.empty()) return std::nullopt;
        const int number = mailbox_->pending.front();
        mailbox_->pending.pop_front();
        return number;
    }

    bool pending() {
        const std::lock_guard lock(mailbox_->mutex);
        return !mailbox_->pending.empty();
    }

private:
    void stop_courier() {
        if (courier_.joinable() && ::getpid() != owner_) {
            // A child forked by the daemon: the courier lives only in the
            // parent, and joining a thread that does not exist in this
            // process is undefined (glibc happens to return at once). The
            // copies of its objects are left alone, as the engine does with
            // its own thread: their mutex may be held by the courier's copy,
            // which no longer runs.
            static_cast<void>(new (std::nothrow) std::thread(std::move(courier_)));
            return;
        }
        {
            const std::lock_guard lock(mailbox_->mutex);
            mailbox_->stopping = true;
            mailbox_->pending.clear();
        }
        mailbox_->changed.notify_one();
        if (courier_.joinable()) courier_.join();
    }

    std::shared_ptr<Mailbox> mailbox_;
    daemoniker::SignalHandler handler_;
    std::thread courier_;
    pid_t owner_ = 0;
};

void send(const py::bytes& pid_file, int number) {
    try {
        daemoniker::send(std::filesystem::path(std::string(pid_file)), number);
    } catch (const daemoniker::Error& e) {
        raise_engine_error(e);
    }
}

bool is_running(const py::bytes& pid_file) {
    try {
        return daemoniker::is_running(std::filesystem::path(std::string(pid_file)));
    } catch (const daemoniker::Error& e) {
        raise_engine_error(e);
    }
}

} // namespace

void bind_signals(py::module_& m) {
    py::class_<Handler>(m, "SignalHandler")
        .def(py::init<const py::bytes&, int>(), py::arg("pid_file"), py::arg("wake_signal"))
        .def("set", &Handler::set, py::arg("number"), py::arg("kind"))
        .def("start", &Handler::start)
        .def("stop", &Handler::stop)
        .def("started", &Handler::started)
        .def("take", &Handler::take)
        .def("pending", &Handler::pending);
    m.def("send", &send, py::arg("pid_file"), py::arg("number"));
    m.def("is_running", &is_running, py::arg("pid_file"));
    m.attr("SYSTEM_DEFAULT") = static_cast<int>(Kind::system_default);
    m.attr("TO_PYTHON") = static_cast<int>(Kind::to_python);
    m.attr("IGNORE") = static_cast<int>(Kind::ignore);
    py::dict numbers;
    for (int i = 0; i < daemoniker::signal_count; ++i) {
        const auto signal = static_cast<daemoniker::Signal>(i);
        numbers[py::str(std::string(daemoniker::to_string(signal)))] = daemoniker::to_number(signal);
    }
    m.attr("SIGNAL_NUMBERS") = numbers;
}

} // namespace daemoniker_py
