#include "launch.hpp"

#include "common.hpp"
#include "env_file.hpp"

#include <cerrno>
#include <charconv>
#include <grp.h>
#include <pwd.h>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace daemoniker::cli {
namespace {

bool executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

} // namespace

Launch launch_as(const std::optional<detail::Identity>& identity) {
    Launch launch;
    launch.uid = static_cast<std::uint32_t>(::geteuid());
    launch.gid = static_cast<std::uint32_t>(::getegid());
    if (!identity) return launch;
    launch.uid = identity->uid;
    launch.gid = identity->gid;
    launch.switches_identity = identity->switches;
    if (!identity->name.empty())
        launch.exec.env = {"HOME=" + identity->home, "USER=" + identity->name, "LOGNAME=" + identity->name};
    return launch;
}

void resolve_program(const LaunchRequest& request, Launch& launch) {
    if (request.command.empty() || request.command[0].empty()) throw UsageError("no program given (start [options] -- program [args...])");
    // The environment: ours, then --user's HOME/USER/LOGNAME (left in
    // launch.exec.env by resolve_identity), then --env, then NOTIFY_SOCKET.
    // A variable given twice keeps the place of its first entry and the
    // value of its last. A plain list: a few dozen entries, searched by
    // name, cost less than building a map on every start.
    std::vector<std::string> entries;
    auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
    auto find = [&](std::string_view name) {
        for (auto& entry : entries)
            if (name_of(entry) == name) return &entry;
        return static_cast<std::string*>(nullptr);
    };
    auto set = [&](std::string_view entry) {
        if (std::string* existing = find(name_of(entry)))
            existing->assign(entry);
        else
            entries.emplace_back(entry);
    };
    const std::vector<std::string> identity = std::move(launch.exec.env);
    for (char** e = environ; e != nullptr && *e != nullptr; ++e)
        if (std::string_view(*e).find('=') != std::string_view::npos) set(*e);
    for (const auto& entry : identity) set(entry);
    for (const auto& file : request.env_files)
        for (const auto& entry : read_env_file(file)) set(entry);
    for (const auto& entry : request.env) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos || eq == 0)
            throw UsageError("--env: '" + entry + "' is not NAME=value");
        set(entry);
    }
    if (request.notify_socket) set("NOTIFY_SOCKET=" + *request.notify_socket);

    // The program: as given when it holds a '/', else the first executable
    // file of that name on the program's PATH (as env(1) finds it).
    const auto& name = request.command[0];
    // With --chroot the program is a file inside the new root, where the
    // program's process executes it.
    const std::string root = request.chroot ? request.chroot->string() : std::string();
    if (request.chroot && name.find('/') != std::string::npos && name[0] != '/')
        throw UsageError("with --chroot the program's path must be absolute inside the new root: '" + name + "'");
    if (name.find('/') != std::string::npos) {
        launch.exec.program = name;
    } else {
        const std::string* path_entry = find("PATH");
        std::string path = path_entry != nullptr ? path_entry->substr(5) : "/usr/local/bin:/usr/bin:/bin";
        std::optional<std::string> found;
        for (std::size_t begin = 0; !found && begin <= path.size();) {
            auto end = path.find(':', begin);
            if (end == std::string::npos) end = path.size();
            std::string candidate = end > begin ? path.substr(begin, end - begin) : "."; // empty: the current directory
            candidate += '/';
            candidate += name;
            if ((!request.chroot || candidate[0] == '/') && executable_file(root + candidate))
                found = std::move(candidate);
            begin = end + 1;
        }
        if (!found)
            throw Failure(exit_status::failed, "cannot start program: '" + name + "' was not found on PATH (" + path +
                                                   ")" + (request.chroot ? " inside '" + root + "'" : ""));
        launch.exec.program = *found;
    }
    launch.exec.env = std::move(entries);
    launch.exec.argv = request.command;
}

} // namespace daemoniker::cli
