// daemonize() for Python: the engine forks, with the interpreter's own fork
// hooks around its forks, and carries the pickled arguments across.

#include "engine.hpp"

#include <daemoniker/daemonize.hpp>

#include <pybind11/stl.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace py = pybind11;

namespace daemoniker_py {
namespace {

using daemoniker::detail::Original;

// The engine gives the daemon the default disposition of every signal while
// it runs its steps. A Python daemon must get the interpreter's back: Python
// ignores SIGPIPE (a closed socket raises BrokenPipeError instead of killing
// the program) and SIGXFSZ, and routes SIGINT and every signal.signal()
// handler through its own C handler, which os.fork() would have kept.
struct Dispositions {
    std::array<struct sigaction, NSIG> saved{};
    std::array<bool, NSIG> valid{};

    void save() noexcept {
        for (std::size_t sig = 1; sig < saved.size(); ++sig)
            valid[sig] = ::sigaction(static_cast<int>(sig), nullptr, &saved[sig]) == 0;
    }
    void restore() const noexcept {
        for (std::size_t sig = 1; sig < saved.size(); ++sig) {
            const int number = static_cast<int>(sig);
            if (valid[sig] && number != SIGKILL && number != SIGSTOP) ::sigaction(number, &saved[sig], nullptr);
        }
    }
};

// The original process gives up the GIL once it has forked and only waits
// for the daemon's report; it takes it back before touching Python again.
struct ReleasedGil {
    PyThreadState* state = nullptr;
    void reacquire() noexcept {
        if (state != nullptr) PyEval_RestoreThread(state);
        state = nullptr;
    }
    ~ReleasedGil() { reacquire(); }
};

daemoniker::Detach detach_from(const std::string& name) {
    if (name == "always") return daemoniker::Detach::always;
    if (name == "never") return daemoniker::Detach::never;
    if (name == "unless_supervised") return daemoniker::Detach::unless_supervised;
    throw py::value_error("detach must be 'always', 'never' or 'unless_supervised', not '" + name + "'");
}

Original original_from(const std::string& name) {
    if (name == "ends_or_throws") return Original::ends_or_throws;
    if (name == "is_parent") return Original::is_parent;
    throw py::value_error("unknown mode '" + name + "'");
}

std::optional<std::filesystem::path> path_of(const std::optional<py::bytes>& p) {
    if (!p) return std::nullopt;
    return std::filesystem::path(std::string(*p));
}

// Returns None in the original process (mode "is_parent", once the daemon is
// up), the payload in the daemon. Mode "ends_or_throws" never returns in the
// original: it exits 0 once the daemon is up. Failures raise the matching
// daemoniker.exceptions class in the original.
py::object daemonize(const py::bytes& pid_file, const py::bytes& payload, const std::string& mode,
                     const std::optional<py::bytes>& chdir, const std::optional<py::bytes>& stdin_goto,
                     const std::optional<py::bytes>& stdout_goto, const std::optional<py::bytes>& stderr_goto,
                     int umask, std::vector<int> shielded_fds, int fd_fallback_limit, long long success_timeout_ms,
                     bool strip_cmd_args, std::vector<std::string> explicit_rescript, bool allow_threads,
                     const std::string& detach) {
    daemoniker::Options options;
    options.chdir = path_of(chdir);
    options.stdin_goto = path_of(stdin_goto);
    options.stdout_goto = path_of(stdout_goto);
    options.stderr_goto = path_of(stderr_goto);
    options.umask = umask;
    options.shielded_fds = std::move(shielded_fds);
    options.fd_fallback_limit = fd_fallback_limit;
    options.success_timeout = std::chrono::milliseconds(success_timeout_ms);
    options.strip_cmd_args = strip_cmd_args;
    options.explicit_rescript = std::move(explicit_rescript);
    options.allow_threads = allow_threads;
    options.detach = detach_from(detach);
    const Original original = original_from(mode);

    Dispositions dispositions;
    ReleasedGil released;
    options.fork_hooks.before = [&dispositions] {
        dispositions.save();
        PyOS_BeforeFork();
    };
    options.fork_hooks.after_in_parent = [&released] {
        PyOS_AfterFork_Parent();
        released.state = PyEval_SaveThread();
    };
    options.fork_hooks.after_in_child = [&dispositions] {
        dispositions.restore();
        PyOS_AfterFork_Child();
    };

    std::optional<std::tuple<std::string>> in_daemon;
    try {
        in_daemon = daemoniker::detail::daemonize(std::filesystem::path(std::string(pid_file)), options, original,
                                                  std::string(payload));
    } catch (const daemoniker::Error& e) {
        released.reacquire();
        raise_engine_error(e);
    }
    released.reacquire();
    if (!in_daemon) return py::none();
    return py::bytes(std::get<0>(*in_daemon));
}

} // namespace

void bind_daemonize(py::module_& m) {
    m.def("daemonize", &daemonize, py::arg("pid_file"), py::arg("payload"), py::arg("mode"), py::kw_only(),
          py::arg("chdir"), py::arg("stdin_goto"), py::arg("stdout_goto"), py::arg("stderr_goto"), py::arg("umask"),
          py::arg("shielded_fds"), py::arg("fd_fallback_limit"), py::arg("success_timeout_ms"),
          py::arg("strip_cmd_args"), py::arg("explicit_rescript"), py::arg("allow_threads"), py::arg("detach"));
}

} // namespace daemoniker_py
