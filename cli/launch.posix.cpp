#include "launch.hpp"

#include "common.hpp"

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

std::optional<std::uint32_t> numeric_id(const std::string& text) {
    if (text.empty() || text.size() > 10) return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    std::uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    if (value >= 0xffffffffu) return std::nullopt; // (uid_t)-1 means "unchanged"
    return static_cast<std::uint32_t>(value);
}

struct User {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::string name;
    std::string home;
    bool known = false; // has a passwd entry
};

std::vector<char> buffer_for(int key) {
    const long size = ::sysconf(key);
    return std::vector<char>(size > 0 ? static_cast<std::size_t>(size) : 16384);
}

User lookup_user(const std::string& spec) {
    passwd pw{};
    passwd* found = nullptr;
    auto buf = buffer_for(_SC_GETPW_R_SIZE_MAX);
    for (;;) {
        // Not found is 0 with no entry in glibc; other systems say ENOENT or ESRCH.
        auto missing = [&](int e) { return found == nullptr && (e == 0 || e == ENOENT || e == ESRCH); };
        int e = ::getpwnam_r(spec.c_str(), &pw, buf.data(), buf.size(), &found);
        if (missing(e)) {
            e = 0;
            if (const auto uid = numeric_id(spec)) e = ::getpwuid_r(static_cast<uid_t>(*uid), &pw, buf.data(), buf.size(), &found);
            if (missing(e)) {
                if (const auto uid = numeric_id(spec)) return User{*uid, 0, spec, {}, false};
                throw UsageError("--user: no such user '" + spec + "'");
            }
        }
        if (e == ERANGE && buf.size() < (1u << 20)) {
            buf.resize(buf.size() * 2);
            continue;
        }
        if (e != 0) throw Failure(exit_status::failed, "--user: cannot look up '" + spec + "': " + std::error_code(e, std::system_category()).message());
        return User{static_cast<std::uint32_t>(pw.pw_uid), static_cast<std::uint32_t>(pw.pw_gid), pw.pw_name,
                    pw.pw_dir != nullptr ? pw.pw_dir : "", true};
    }
}

std::uint32_t lookup_group(const std::string& spec) {
    group gr{};
    group* found = nullptr;
    auto buf = buffer_for(_SC_GETGR_R_SIZE_MAX);
    for (;;) {
        const int e = ::getgrnam_r(spec.c_str(), &gr, buf.data(), buf.size(), &found);
        if (e == ERANGE && buf.size() < (1u << 20)) {
            buf.resize(buf.size() * 2);
            continue;
        }
        if (e != 0 && !(found == nullptr && (e == ENOENT || e == ESRCH))) throw Failure(exit_status::failed, "--group: cannot look up '" + spec + "': " + std::error_code(e, std::system_category()).message());
        if (found != nullptr) return static_cast<std::uint32_t>(gr.gr_gid);
        if (const auto gid = numeric_id(spec)) return *gid;
        throw UsageError("--group: no such group '" + spec + "'");
    }
}

std::vector<std::uint32_t> supplementary_groups(const User& user, std::uint32_t gid) {
    if (!user.known) return {gid};
    int count = 32;
    std::vector<gid_t> groups;
    for (int attempt = 0; attempt < 8; ++attempt) {
        groups.resize(static_cast<std::size_t>(count));
        int n = count;
#if defined(__APPLE__) // getgrouplist(const char*, int, int*, int*) there
        const int listed = ::getgrouplist(user.name.c_str(), static_cast<int>(gid),
                                          reinterpret_cast<int*>(groups.data()), &n);
#else
        const int listed = ::getgrouplist(user.name.c_str(), static_cast<gid_t>(gid), groups.data(), &n);
#endif
        if (listed >= 0) {
            groups.resize(static_cast<std::size_t>(n));
            return {groups.begin(), groups.end()};
        }
        count = n > count ? n : count * 2;
    }
    throw Failure(exit_status::failed, "--user: cannot list the groups of '" + user.name + "'");
}

bool executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

} // namespace

Launch resolve_identity(const LaunchRequest& request) {
    Launch launch;
    launch.uid = static_cast<std::uint32_t>(::geteuid());
    launch.gid = static_cast<std::uint32_t>(::getegid());
    if (!request.user && !request.group) return launch;

    detail::Credentials c;
    std::optional<User> user;
    if (request.user) {
        user = lookup_user(*request.user);
        c.uid = user->uid;
        c.gid = user->gid;
    }
    if (request.group) c.gid = lookup_group(*request.group);
    else if (user && !user->known)
        throw UsageError("--user: uid " + std::to_string(user->uid) + " has no passwd entry, so give --group too");
    const bool same = (!c.uid || *c.uid == launch.uid) && c.gid == launch.gid;
    if (::geteuid() != 0) {
        // Only root can switch; asking for what we already are is harmless.
        if (same) return launch;
        throw Failure(exit_status::failed, "--user/--group: only root can run the program as another user or group");
    }
    c.groups = user ? supplementary_groups(*user, c.gid) : std::vector<std::uint32_t>{c.gid};
    launch.uid = c.uid.value_or(launch.uid);
    launch.gid = c.gid;
    launch.switches_identity = !same;
    launch.exec.credentials = std::move(c);
    if (user && user->known) {
        launch.exec.env = {"HOME=" + user->home, "USER=" + user->name, "LOGNAME=" + user->name};
    }
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
            if (executable_file(candidate)) found = std::move(candidate);
            begin = end + 1;
        }
        if (!found)
            throw Failure(exit_status::failed, "cannot start program: '" + name + "' was not found on PATH (" + path + ")");
        launch.exec.program = *found;
    }
    launch.exec.env = std::move(entries);
    launch.exec.argv = request.command;
}

} // namespace daemoniker::cli
