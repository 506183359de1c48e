// Option validation (options.hpp): what can be refused before anything is
// forked or launched, and every path made absolute once.

#include "options.hpp"
#include "streams.hpp"

#include <daemoniker/errors.hpp>

#include <algorithm>
#include <charconv>
#include <string>
#include <system_error>

namespace daemoniker::detail {
namespace {

std::string octal(int v) {
    char buf[16];
    auto res = std::to_chars(buf, buf + sizeof buf, v, 8);
    return "0" + std::string(buf, res.ptr);
}

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

std::filesystem::path absolute_path(const char* option, const std::filesystem::path& p) {
    if (p.empty()) throw OptionError(std::string(option) + ": the path is empty");
    if (p.native().find(std::filesystem::path::value_type{}) != std::filesystem::path::string_type::npos)
        throw OptionError(std::string(option) + ": the path contains a NUL character");
    std::error_code ec;
    auto abs = std::filesystem::absolute(p, ec);
    if (ec) throw OptionError(std::string(option) + " " + quoted(p) + ": cannot be made absolute: " + ec.message(), ec);
    return abs.lexically_normal();
}

} // namespace

Resolved resolve(const std::filesystem::path& pid_file, const Options& o) {
    Resolved r;
    r.pid_file = absolute_path("PID file", pid_file);
    if (!r.pid_file.has_filename())
        throw OptionError("PID file " + quoted(pid_file) + ": names a directory, not a file");

    if (o.chdir) {
        r.chdir = absolute_path("chdir", *o.chdir);
    } else {
        std::error_code ec;
        r.chdir = std::filesystem::current_path(ec);
        if (ec) throw OptionError("chdir: the current directory cannot be determined: " + ec.message(), ec);
    }
    r.stdin_path = o.stdin_goto ? absolute_path("stdin_goto", *o.stdin_goto) : null_device();
    r.stdout_path = o.stdout_goto ? absolute_path("stdout_goto", *o.stdout_goto) : null_device();
    r.stderr_path = o.stderr_goto ? absolute_path("stderr_goto", *o.stderr_goto) : null_device();
    r.stream_given = {o.stdin_goto.has_value(), o.stdout_goto.has_value(), o.stderr_goto.has_value()};

    if (o.umask < 0 || o.umask > 0777)
        throw OptionError("umask " + (o.umask < 0 ? std::to_string(o.umask) : octal(o.umask)) +
                          " is outside 0 to 0777");
    r.umask = o.umask;

    if (o.fd_fallback_limit < 0)
        throw OptionError("fd_fallback_limit " + std::to_string(o.fd_fallback_limit) + " is negative");
    r.fd_fallback_limit = o.fd_fallback_limit;

    if (o.success_timeout.count() <= 0)
        throw OptionError("success_timeout " + std::to_string(o.success_timeout.count()) +
                          " ms is not positive");
    r.success_timeout = o.success_timeout;
    r.allow_threads = o.allow_threads;
    r.fork_hooks = o.fork_hooks;

    r.shielded_fds = o.shielded_fds;
    for (int fd : r.shielded_fds)
        if (fd < 0) throw OptionError("shielded_fds: descriptor " + std::to_string(fd) + " is negative");
    std::sort(r.shielded_fds.begin(), r.shielded_fds.end());
    r.shielded_fds.erase(std::unique(r.shielded_fds.begin(), r.shielded_fds.end()), r.shielded_fds.end());

    check_confinement(o);
    if (o.chroot) {
        r.chroot = absolute_path("chroot", *o.chroot);
        // chdir names a directory inside the new root: relative ones from its top.
        r.chdir = o.chdir ? (std::filesystem::path("/") / *o.chdir).lexically_normal() : std::filesystem::path("/");
    }
    r.core_dumps = o.core_dumps;
    resolve_identity(o, r);
    return r;
}

} // namespace daemoniker::detail
