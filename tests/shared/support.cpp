// The platform-independent half of the shared tests' support (support.hpp).

#include "support.hpp"

#include <daemoniker/daemoniker.hpp>

namespace shared {

Result ProcessTest::helper(const std::string& mode, const std::vector<std::string>& kv,
                           const std::vector<std::string>& env) {
    std::error_code ec;
    std::filesystem::remove(path("report"), ec);
    std::vector<std::string> args{mode, p("d.pid"), p("report")};
    args.insert(args.end(), kv.begin(), kv.end());
    return run(helper_path(), args, env);
}

Result ProcessTest::cli(const std::vector<std::string>& args) { return run(cli_path(), args, {}, 60s); }

void expect_not_believed(const std::filesystem::path& file) {
    std::error_code ec;
    const auto info = daemoniker::inspect_pid_file(file, ec);
    EXPECT_EQ(ec, daemoniker::errc::writable_by_others) << ec.message();
    EXPECT_EQ(info.state, daemoniker::PidFileState::absent);
    EXPECT_THROW((void)daemoniker::inspect_pid_file(file), daemoniker::PidFileError);
    EXPECT_FALSE(daemoniker::is_running(file, ec));
    EXPECT_EQ(ec, daemoniker::errc::writable_by_others) << ec.message();
    daemoniker::send(file, daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::writable_by_others) << ec.message();
    EXPECT_THROW(daemoniker::send(file, daemoniker::Signal::sigterm), daemoniker::SignalError);
}

} // namespace shared
