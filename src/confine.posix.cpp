// Confinement on POSIX: the user and group looked up before the fork; after
// it, chroot, the core-dump limit and the privilege drop, without allocating.

#include "confine.hpp"
#include "posix_features.hpp"
#include "sys.hpp"

#include <daemoniker/errors.hpp>

#include <cerrno>
#include <charconv>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <type_traits>
#include <unistd.h>
#include <vector>

namespace daemoniker::detail {

// Credentials::groups is handed to setgroups() as it is.
static_assert(std::is_same_v<gid_t, std::uint32_t> && sizeof(uid_t) <= sizeof(std::uint32_t));

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

[[noreturn]] void lookup_failed(const char* what, const std::string& spec, int e) {
    const std::error_code code(e, std::system_category());
    throw StartupError(std::string("cannot start daemon: look up ") + what + " '" + spec + "': " + code.message(),
                       Step::validate, {}, code);
}

User lookup_user(const std::string& spec) {
    if (spec.empty()) throw OptionError("user: the name is empty");
    passwd pw{};
    passwd* found = nullptr;
    auto buf = buffer_for(_SC_GETPW_R_SIZE_MAX);
    for (;;) {
        // Not found is 0 with no entry in glibc; other systems say ENOENT or ESRCH.
        auto missing = [&](int e) { return found == nullptr && (e == 0 || e == ENOENT || e == ESRCH); };
        int e = ::getpwnam_r(spec.c_str(), &pw, buf.data(), buf.size(), &found);
        if (missing(e)) {
            e = 0;
            const auto uid = numeric_id(spec);
            if (uid) e = ::getpwuid_r(static_cast<uid_t>(*uid), &pw, buf.data(), buf.size(), &found);
            if (missing(e)) {
                if (uid) return User{*uid, 0, spec, {}, false};
                throw OptionError("user: no such user '" + spec + "'");
            }
        }
        if (e == ERANGE && buf.size() < (1u << 20)) {
            buf.resize(buf.size() * 2);
            continue;
        }
        if (e != 0) lookup_failed("user", spec, e);
        return User{static_cast<std::uint32_t>(pw.pw_uid), static_cast<std::uint32_t>(pw.pw_gid), pw.pw_name,
                    pw.pw_dir != nullptr ? pw.pw_dir : "", true};
    }
}

std::uint32_t lookup_group(const std::string& spec) {
    if (spec.empty()) throw OptionError("group: the name is empty");
    group gr{};
    group* found = nullptr;
    auto buf = buffer_for(_SC_GETGR_R_SIZE_MAX);
    for (;;) {
        const int e = ::getgrnam_r(spec.c_str(), &gr, buf.data(), buf.size(), &found);
        if (e == ERANGE && buf.size() < (1u << 20)) {
            buf.resize(buf.size() * 2);
            continue;
        }
        if (e != 0 && !(found == nullptr && (e == ENOENT || e == ESRCH))) lookup_failed("group", spec, e);
        if (found != nullptr) return static_cast<std::uint32_t>(gr.gr_gid);
        if (const auto gid = numeric_id(spec)) return *gid;
        throw OptionError("group: no such group '" + spec + "'");
    }
}

// initgroups() without changing anything yet: the group database's list for
// the user, with `gid` in it.
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
    throw StartupError("cannot start daemon: cannot list the groups of user '" + user.name + "'", Step::validate, {},
                       std::make_error_code(std::errc::no_buffer_space));
}

} // namespace

void check_confinement(const Options& o) {
    if (o.chroot && o.chroot->empty()) throw OptionError("chroot: the path is empty");
}

void resolve_identity(const Options& o, Resolved& r) {
    if (!o.user && !o.group) return;
    Identity id;
    id.uid = static_cast<std::uint32_t>(::geteuid());
    id.gid = static_cast<std::uint32_t>(::getegid());
    Credentials& c = id.credentials;
    std::optional<User> user;
    if (o.user) {
        user = lookup_user(*o.user);
        c.uid = user->uid;
        c.gid = user->gid;
    }
    if (o.group) c.gid = lookup_group(*o.group);
    else if (user && !user->known)
        throw OptionError("user: uid " + std::to_string(user->uid) + " has no passwd entry: its group must be given too");
    const bool same = (!c.uid || *c.uid == id.uid) && c.gid == id.gid;
    if (::geteuid() != 0) {
        // Only root can switch; asking for what we already are is harmless.
        if (same) return;
        throw StartupError("cannot start daemon: drop privileges: only root can run the daemon as another user or group",
                           Step::drop_privileges, {}, std::make_error_code(std::errc::operation_not_permitted));
    }
    c.groups = user ? supplementary_groups(*user, c.gid) : std::vector<std::uint32_t>{c.gid};
    id.uid = c.uid.value_or(id.uid);
    id.gid = c.gid;
    id.switches = !same;
    if (user && user->known) {
        id.name = user->name;
        id.home = user->home;
    }
    r.identity = std::move(id);
}

bool change_root(const Resolved& r, Failure& failure) noexcept {
    if (r.chroot.empty()) return true;
    if (sys::call(Step::chroot, [&] { return ::chroot(r.chroot.c_str()); }) != 0) {
        failure = {Step::chroot, errno};
        return false;
    }
    if (sys::call(Step::chdir, [&] { return ::chdir(r.chdir.c_str()); }) != 0) {
        failure = {Step::chdir, errno};
        return false;
    }
    return true;
}

bool limit_core_dumps(const Resolved& r, Failure& failure) noexcept {
    if (!r.core_dumps) return true;
    int e = sys::injected(Step::core_dumps);
    if (e == 0 && !*r.core_dumps) {
        const rlimit none{0, 0};
        if (::setrlimit(RLIMIT_CORE, &none) != 0) e = errno;
    } else if (e == 0) {
        const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
        rlimit now{};
        // Only a privileged process may raise the hard limit; any may raise
        // the soft one up to it. A hard limit of 0 leaves nothing to allow.
        if (::setrlimit(RLIMIT_CORE, &unlimited) != 0) {
            if (::getrlimit(RLIMIT_CORE, &now) != 0) e = errno;
            else if (now.rlim_max == 0) e = EPERM;
            else {
                now.rlim_cur = now.rlim_max;
                if (::setrlimit(RLIMIT_CORE, &now) != 0) e = errno;
            }
        }
    }
#if DAEMONIKER_HAVE_DUMPABLE
    // Off: no dump at all, not even through a core_pattern pipe, which the
    // kernel feeds whatever RLIMIT_CORE says.
    if (e == 0 && !*r.core_dumps && ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) e = errno;
#endif
    if (e != 0) failure = {Step::core_dumps, e};
    return e == 0;
}

bool drop_privileges(const Resolved& r, Failure& failure) noexcept {
    if (r.identity) {
        const Credentials& c = r.identity->credentials;
        const uid_t uid = c.uid ? static_cast<uid_t>(*c.uid) : static_cast<uid_t>(-1);
        const gid_t gid = static_cast<gid_t>(c.gid);
        auto failed = [&](DropCall call, int e) {
            failure = {Step::drop_privileges, e, {}, static_cast<std::int64_t>(call)};
            return false;
        };
#if defined(__APPLE__) // setgroups(int, const gid_t*) there; size_t on Linux and the BSDs
        const int group_count = static_cast<int>(c.groups.size());
#else
        const auto group_count = c.groups.size();
#endif
        if (::setgroups(group_count, c.groups.data()) != 0) return failed(DropCall::setgroups, errno);
        if (sys::call(Step::drop_privileges, [&] { return ::setgid(gid); }) != 0) return failed(DropCall::setgid, errno);
        if (c.uid) {
            if (::setuid(uid) != 0) return failed(DropCall::setuid, errno);
            if (uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) return failed(DropCall::regain_root, EPERM);
        }
    }
#if DAEMONIKER_HAVE_DUMPABLE
    // The drop cleared the flag (the kernel's guard for what the process
    // read as root); core dumps asked for, it is set again.
    if (r.identity && r.core_dumps && *r.core_dumps && ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) {
        failure = {Step::core_dumps, errno};
        return false;
    }
#endif
    return true;
}

bool confine(const Resolved& r, Failure& failure) noexcept {
    return change_root(r, failure) && limit_core_dumps(r, failure) && drop_privileges(r, failure);
}

} // namespace daemoniker::detail
