// PID-file trust on Windows: a PID file that users other than the caller may
// write is not believed (inspect_pid_file, is_running, send). The DACL rule
// runs on DACLs built in memory; the files, under Wine, with real processes.
// The rule as both platforms have it (Everyone may write) is tested in
// tests/shared/shared_pid_file_test.cpp; here, what only DACLs can say.

#include "win_support.hpp"

#include "../shared/support.hpp"

#include "win.hpp" // lets_others_write(): the rule itself

#include <daemoniker/daemoniker.hpp>

#include <vector>

namespace wintest {
namespace {

using daemoniker::detail::win::lets_others_write;

// ---- the rule, on DACLs built in memory ----------------------------------------

struct Ace {
    bool allow;
    WELL_KNOWN_SID_TYPE group;
    ACCESS_MASK mask;
    BYTE flags = 0;
};

// A DACL of `aces`, in the order given (not sorted as the ACL editors would).
class Dacl {
public:
    explicit Dacl(const std::vector<Ace>& aces) : buffer_(4096) {
        auto* acl = reinterpret_cast<ACL*>(buffer_.data());
        EXPECT_TRUE(::InitializeAcl(acl, static_cast<DWORD>(buffer_.size()), ACL_REVISION));
        for (const Ace& a : aces) {
            BYTE sid[SECURITY_MAX_SID_SIZE];
            DWORD size = sizeof sid;
            EXPECT_TRUE(::CreateWellKnownSid(a.group, nullptr, sid, &size));
            const BOOL added = a.allow ? ::AddAccessAllowedAceEx(acl, ACL_REVISION, a.flags, a.mask, sid)
                                       : ::AddAccessDeniedAceEx(acl, ACL_REVISION, a.flags, a.mask, sid);
            EXPECT_TRUE(added) << ::GetLastError();
        }
    }
    [[nodiscard]] const ACL* get() const { return reinterpret_cast<const ACL*>(buffer_.data()); }

private:
    std::vector<BYTE> buffer_;
};

bool writable(const std::vector<Ace>& aces) { return lets_others_write(Dacl(aces).get()); }

// Much like what a file in a user's profile has, and what Wine makes of a
// 0644 file: full access for the system and an administrator, reading for
// Everyone.
const std::vector<Ace> usual{{true, WinLocalSystemSid, FILE_ALL_ACCESS},
                             {true, WinBuiltinAdministratorsSid, FILE_ALL_ACCESS},
                             {true, WinWorldSid, FILE_GENERIC_READ | FILE_GENERIC_EXECUTE}};

std::vector<Ace> usual_and(const Ace& extra) {
    auto aces = usual;
    aces.push_back(extra);
    return aces;
}

TEST(WinPidFileDacl, OthersWithoutWriteAccessAreNotAConcern) {
    EXPECT_FALSE(writable(usual));
    EXPECT_FALSE(writable({}));
    // Attributes and extended attributes do not change what the file says.
    EXPECT_FALSE(writable(usual_and({true, WinBuiltinUsersSid, FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA})));
    // Administrators and the system are not "other users".
    EXPECT_FALSE(writable({{true, WinBuiltinAdministratorsSid, GENERIC_ALL}, {true, WinLocalSystemSid, GENERIC_ALL}}));
}

TEST(WinPidFileDacl, EachWriteRightForEachGroupOfOthersCounts) {
    for (const auto group : {WinWorldSid, WinAuthenticatedUserSid, WinBuiltinUsersSid}) {
        for (const ACCESS_MASK right : std::vector<ACCESS_MASK>{FILE_WRITE_DATA, FILE_APPEND_DATA, GENERIC_WRITE,
                                                                GENERIC_ALL, WRITE_DAC, WRITE_OWNER, FILE_GENERIC_WRITE,
                                                                FILE_ALL_ACCESS}) {
            EXPECT_TRUE(writable(usual_and({true, group, right})))
                << "well-known SID type " << group << ", mask " << std::hex << right;
        }
    }
}

TEST(WinPidFileDacl, ANullDaclLetsEveryoneWrite) { EXPECT_TRUE(lets_others_write(nullptr)); }

TEST(WinPidFileDacl, DenyingAcesComeFirstAsWindowsEvaluatesThem) {
    // Denied to Everyone before it is allowed to Users: nobody else writes.
    EXPECT_FALSE(writable({{false, WinWorldSid, FILE_GENERIC_WRITE}, {true, WinBuiltinUsersSid, FILE_GENERIC_WRITE}}));
    // Denied after it was allowed: too late.
    EXPECT_TRUE(writable({{true, WinBuiltinUsersSid, FILE_GENERIC_WRITE}, {false, WinWorldSid, FILE_GENERIC_WRITE}}));
    // Denying writing leaves WRITE_DAC, with which a user can allow himself the rest.
    EXPECT_TRUE(
        writable({{false, WinWorldSid, FILE_GENERIC_WRITE}, {true, WinWorldSid, FILE_GENERIC_WRITE | WRITE_DAC}}));
    // A deny for Authenticated Users is not taken to cover every member of Users.
    EXPECT_TRUE(writable(
        {{false, WinAuthenticatedUserSid, FILE_GENERIC_WRITE}, {true, WinBuiltinUsersSid, FILE_GENERIC_WRITE}}));
}

TEST(WinPidFileDacl, AnInheritOnlyAceIsForObjectsCreatedInside) {
    EXPECT_FALSE(writable(usual_and({true, WinWorldSid, GENERIC_ALL, INHERIT_ONLY_ACE | OBJECT_INHERIT_ACE})));
    EXPECT_TRUE(writable(usual_and({true, WinWorldSid, GENERIC_ALL, OBJECT_INHERIT_ACE})));
}

// ---- the files, under Wine ----------------------------------------------------

class WinPidFile : public WinProcessTest {
protected:
    DWORD start_daemon() {
        // The daemon serves its signal channel before it writes the report.
        auto r = helper("daemonize", {});
        EXPECT_EQ(r.exit_code, 0u) << r.err;
        auto rep = read_report(path("report"));
        if (rep.empty()) return 0;
        const auto pid = static_cast<DWORD>(std::stoul(rep["pid"]));
        record(pid);
        return pid;
    }
};

// C:\ passes Authenticated Users Modify on to everything created below it:
// a daemon's own PID file must not take that, or no reader would believe it.
TEST_F(WinPidFile, ANewPidFileTakesNoWriteAccessForOthersFromItsDirectory) {
    ASSERT_EQ(set_access(dir_, WinAuthenticatedUserSid, FILE_GENERIC_READ | FILE_GENERIC_WRITE | DELETE,
                         OBJECT_INHERIT_ACE | INHERIT_ONLY_ACE),
              0u);
    const bool passed_on = dacl_allows_write(dir_, WinAuthenticatedUserSid);
    const DWORD pid = start_daemon();
    ASSERT_NE(pid, 0u);
    const auto file = path("d.pid");
    EXPECT_FALSE(dacl_allows_write(file, WinAuthenticatedUserSid)) << dacl_text(file);
    EXPECT_FALSE(dacl_allows_write(file, WinWorldSid)) << dacl_text(file);
    EXPECT_TRUE(daemoniker::is_running(file));
    daemoniker::send(file, daemoniker::Signal::sigterm);
    EXPECT_TRUE(wait_exit(pid));
    for (int i = 0; i < 100 && std::filesystem::exists(file); ++i) ::Sleep(10);
    EXPECT_FALSE(std::filesystem::exists(file));
    if (!passed_on)
        GTEST_SKIP() << "this system keeps no inheritable ACE on a directory (Wine 8 turns a directory's DACL into "
                        "its Unix mode): the ACE for Authenticated Users reads back as "
                     << dacl_text(dir_) << "; the new file's DACL was checked without it";
}

// Wine 8 stores no security descriptor for a file: it turns the DACL into
// the Unix mode (owner and other bits) and builds one from the mode when
// asked, so only the owner, SYSTEM and Everyone survive a round trip.
TEST_F(WinPidFile, FilesThatUsersOrAuthenticatedUsersMayWriteOrWithANullDaclAreNotBelieved) {
    std::string lacking;
    struct Case {
        const char* name;
        WELL_KNOWN_SID_TYPE group;
        const char* file;
    };
    const Case cases[] = {{"BUILTIN\\Users", WinBuiltinUsersSid, "users.pid"},
                          {"Authenticated Users", WinAuthenticatedUserSid, "authenticated.pid"}};
    for (const auto& [name, group, file_name] : cases) {
        const auto file = path(file_name);
        write_bytes(file, "4242\n");
        ASSERT_EQ(set_access(file, group, FILE_GENERIC_READ | FILE_GENERIC_WRITE), 0u);
        if (!dacl_allows_write(file, group)) {
            lacking += std::string("an ACE allowing ") + name + " to write was accepted but reads back as " +
                       dacl_text(file) + "; ";
            continue;
        }
        shared::expect_not_believed(file);
    }
    const auto open = path("null.pid");
    write_bytes(open, "4242\n");
    ASSERT_EQ(set_null_dacl(open), 0u);
    if (has_null_dacl(open)) {
        shared::expect_not_believed(open);
    } else {
        lacking += "a NULL DACL was accepted but reads back as " + dacl_text(open) + "; ";
        // What Wine made of it (Everyone: full access) is refused all the same.
        if (dacl_allows_write(open, WinWorldSid)) shared::expect_not_believed(open);
    }
    if (!lacking.empty())
        GTEST_SKIP() << "this system keeps no file DACL as set (Wine 8 maps a DACL onto the Unix mode's owner and "
                        "other bits and rebuilds it from them, so only SYSTEM, the owner and Everyone survive): "
                     << lacking << "the rule itself is tested on DACLs in memory (WinPidFileDacl)";
}

} // namespace
} // namespace wintest
