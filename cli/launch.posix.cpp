#include "launch.hpp"

#include "common.hpp"
#include "env_file.hpp"

#include <cerrno>
#include <charconv>
#include <grp.h>
#include <map>
#include <pwd.h>
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
    std::vector<std::string> order;
    std::map<std::string, std::string> values;
    auto set = [&](const std::string& entry) {
        const auto eq = entry.find('=');
        const auto name = entry.substr(0, eq);
        if (values.find(name) == values.end()) order.push_back(name);
        values[name] = entry;
    };
    for (char** e = environ; e != nullptr && *e != nullptr; ++e)
        if (std::string(*e).find('=') != std::string::npos) set(*e);
    for (const auto& entry : launch.exec.env) set(entry);
    for (const auto& file : request.env_files)
        for (const auto& entry : read_env_file(file)) set(entry);
    for (const auto& entry : request.env) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos || eq == 0)
            throw UsageError("--env: '" + entry + "' is not NAME=value");
        set(entry);
    }
    if (request.notify_socket) set("NOTIFY_SOCKET=" + *request.notify_socket);
    launch.exec.env.clear();
    for (const auto& name : order) launch.exec.env.push_back(values[name]);

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
        const auto path_entry = values.find("PATH");
        std::string path = path_entry != values.end() ? path_entry->second.substr(5) : "/usr/local/bin:/usr/bin:/bin";
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
    launch.exec.argv = request.command;
}

} // namespace daemoniker::cli
