#pragma once
// Confinement: what a daemon does after its PID file is locked and its
// standard streams are redirected, in this order: chroot (and chdir inside
// the new root), core dumps, then the privilege drop (Options::user, group,
// chroot, core_dumps). The library's daemon, the foreground mode and the
// command's program all run it; the identity is looked up before anything
// is forked (resolve_identity(), options.hpp).

#include "options.hpp"
#include "startup.hpp"

#include <cstdint>
#include <string>

namespace daemoniker::detail {

/// Meaning of Failure::value in a Step::drop_privileges failure: which
/// call failed.
enum class DropCall : std::int32_t { setgroups = 1, setgid, setuid, regain_root };

/// "drop privileges to uid U, gid G: <call>", for a Step::drop_privileges
/// failure's message.
std::string describe_drop(const Credentials& credentials, std::int64_t call);

#ifndef _WIN32
/// Changes the root directory to r.chroot and the working directory to
/// r.chdir inside it, when a chroot is asked for. No allocation.
bool change_root(const Resolved& r, Failure& failure) noexcept;

/// Applies r.core_dumps' resource limit (before the drop: only root may
/// raise a hard limit). No allocation.
bool limit_core_dumps(const Resolved& r, Failure& failure) noexcept;

/// Switches groups, group and user (r.identity), checks that root cannot
/// be regained, then sets the dumpable flag that r.core_dumps asks for
/// (a change of credentials clears it). No allocation.
bool drop_privileges(const Resolved& r, Failure& failure) noexcept;

/// The three above, in order.
bool confine(const Resolved& r, Failure& failure) noexcept;
#endif

} // namespace daemoniker::detail
