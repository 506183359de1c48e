// daemoniker._engine: the daemoniker library reached from Python. The
// package (daemoniker/*.py) gives it the original Python API; nothing here
// daemonizes by itself.

#include "engine.hpp"

PYBIND11_MODULE(_engine, m) {
    m.doc() = "The daemoniker C++ library, as used by the daemoniker package (not a public API)";
    daemoniker_py::bind_daemonize(m);
    daemoniker_py::bind_signals(m);
}
