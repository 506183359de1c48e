// The engine's exceptions become those of daemoniker.exceptions, with what
// the engine knows about the failure as attributes.

#include "engine.hpp"

#include <string>
#include <system_error>

namespace py = pybind11;

namespace daemoniker_py {
namespace {

const char* class_of(const daemoniker::Error& e) {
    if (dynamic_cast<const daemoniker::StartupTimeout*>(&e)) return "StartupTimeout";
    if (dynamic_cast<const daemoniker::StartupError*>(&e)) return "StartupError";
    if (dynamic_cast<const daemoniker::AlreadyRunning*>(&e)) return "AlreadyRunning";
    if (dynamic_cast<const daemoniker::PidFileError*>(&e)) return "PidFileError";
    if (dynamic_cast<const daemoniker::OptionError*>(&e)) return "OptionError";
    if (dynamic_cast<const daemoniker::SignalError*>(&e)) return "SignalError";
    return "DaemonikerException";
}

py::object path_or_none(const std::filesystem::path& p) {
    if (p.empty()) return py::none();
    // os.fsdecode: a path that is not UTF-8 keeps its bytes as surrogates.
    return py::module_::import("os").attr("fsdecode")(py::bytes(p.native()));
}

// The engine's message as text: it holds paths, which need not be UTF-8
// (their bytes are shown as \xNN escapes, as Python's stderr shows them).
py::str text(const std::string& message) {
    PyObject* decoded = PyUnicode_DecodeUTF8(message.data(), static_cast<Py_ssize_t>(message.size()), "backslashreplace");
    if (decoded == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::str>(decoded);
}

} // namespace

void raise_engine_error(const daemoniker::Error& e) {
    std::string message = e.what();
    // The engine names the C++ spelling of the option that lifts the thread check.
    if (const auto at = message.find("set Options::allow_threads"); at != std::string::npos)
        message.replace(at, 26, "pass allow_threads=True");

    py::dict kw;
    const std::error_code code = e.code();
    kw["reason"] = code ? text(code.message()) : text(message);
    kw["errno"] = code && code.category() == std::system_category() ? py::object(py::int_(code.value())) : py::none();
    if (const auto* s = dynamic_cast<const daemoniker::StartupError*>(&e)) {
        kw["step"] = py::str(std::string(daemoniker::to_string(s->step())));
        kw["path"] = path_or_none(s->path());
    } else if (const auto* p = dynamic_cast<const daemoniker::PidFileError*>(&e)) {
        kw["path"] = path_or_none(p->path());
        if (const auto* r = dynamic_cast<const daemoniker::AlreadyRunning*>(&e)) kw["pid"] = r->pid();
    }
    const py::object type = py::module_::import("daemoniker.exceptions").attr(class_of(e));
    const py::object exception = type(text(message), **kw);
    PyErr_SetObject(type.ptr(), exception.ptr());
    throw py::error_already_set();
}

} // namespace daemoniker_py
