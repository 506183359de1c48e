#pragma once
// The parts of daemoniker._engine, one file each: the engine's errors as the
// package's exceptions, daemonization, signals.

#include <pybind11/pybind11.h>

#include <daemoniker/errors.hpp>

namespace daemoniker_py {

/// Sets the Python exception of daemoniker.exceptions that matches `e`
/// (AlreadyRunning, StartupError, ...), carrying its step, path, reason,
/// errno and PID, and throws pybind11::error_already_set. The GIL must be held.
[[noreturn]] void raise_engine_error(const daemoniker::Error& e);

void bind_daemonize(pybind11::module_& m);
void bind_signals(pybind11::module_& m);

} // namespace daemoniker_py
