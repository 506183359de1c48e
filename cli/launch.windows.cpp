// Turning `start`'s command line into what the supervisor starts, on
// Windows: the program found the way CreateProcess would find it (with .exe
// appended when the name has no extension), and its environment. There is no
// identity to switch: the library refuses --user and --group.

#include "launch.hpp"

#include "common.hpp"
#include "env_file.hpp"

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <cwctype>
#include <map>

namespace daemoniker::cli {
namespace {

namespace win = daemoniker::detail::win;

// Environment names are case-insensitive on Windows.
std::wstring upper(std::wstring_view text) {
    std::wstring out(text);
    for (auto& c : out) c = static_cast<wchar_t>(std::towupper(c));
    return out;
}

} // namespace

// The library refuses --user and --group on Windows (start_basics()).
Launch launch_as(const std::optional<detail::Identity>& /*identity*/) { return {}; }

void resolve_program(const LaunchRequest& request, Launch& launch) {
    if (request.command.empty() || request.command[0].empty())
        throw UsageError("no program given (start [options] -- program [args...])");

    // Ours, then --env-file's, then --env, in order; a later entry replaces
    // an earlier one of the same name.
    std::vector<std::wstring> order;
    std::map<std::wstring, std::wstring> values;
    auto set = [&](std::wstring entry) {
        // Names like "=C:" (per-drive directories) start with '='.
        const auto eq = entry.find(L'=', 1);
        const auto name = upper(std::wstring_view(entry).substr(0, eq));
        if (values.find(name) == values.end()) order.push_back(name);
        values[name] = std::move(entry);
    };
    if (wchar_t* env = ::GetEnvironmentStringsW()) {
        for (const wchar_t* p = env; *p != L'\0'; p += std::wcslen(p) + 1) set(p);
        ::FreeEnvironmentStringsW(env);
    }
    for (const auto& file : request.env_files)
        for (const auto& entry : read_env_file(file)) set(win::widen(entry));
    for (const auto& entry : request.env) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos || eq == 0) throw UsageError("--env: '" + entry + "' is not NAME=value");
        set(win::widen(entry));
    }
    for (const auto& name : order) launch.exec.env.push_back(win::narrow(values[name]));

    // SearchPathW looks where CreateProcess does: this executable's
    // directory, the current one, the system directories, then PATH.
    const auto name = win::widen(request.command[0]);
    std::wstring found(32768, L'\0');
    const DWORD n = ::SearchPathW(nullptr, name.c_str(), L".exe", static_cast<DWORD>(found.size()), found.data(), nullptr);
    if (n == 0 || n >= found.size()) {
        const bool has_dir = name.find_first_of(L"\\/:") != std::wstring::npos;
        throw Failure(exit_status::failed, "cannot start program: '" + request.command[0] + "' was not found" +
                                               (has_dir ? std::string() : std::string(" on PATH")));
    }
    found.resize(n);
    launch.exec.program = std::filesystem::path(found);
    launch.exec.argv = request.command;
}

} // namespace daemoniker::cli
