// The sd_notify calls against a real datagram socket standing in for the
// service manager.

#include <daemoniker/errors.hpp>
#include <daemoniker/notify.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

class FakeServiceManager {
public:
    explicit FakeServiceManager(bool abstract) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        name_ = (abstract ? "@daemoniker-test-" : "/tmp/daemoniker-notify-") + std::to_string(::getpid());
        std::memcpy(addr.sun_path, name_.data(), name_.size());
        if (abstract) addr.sun_path[0] = '\0';
        else ::unlink(name_.c_str());
        const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
        ::setenv("NOTIFY_SOCKET", name_.c_str(), 1);
    }
    ~FakeServiceManager() {
        ::unsetenv("NOTIFY_SOCKET");
        ::close(fd_);
        if (name_[0] == '/') ::unlink(name_.c_str());
    }
    FakeServiceManager(const FakeServiceManager&) = delete;
    FakeServiceManager& operator=(const FakeServiceManager&) = delete;

    std::string receive() {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 5000) != 1) return "<nothing>";
        char buf[4096];
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        return n < 0 ? "<error>" : std::string(buf, static_cast<std::size_t>(n));
    }

private:
    int fd_ = -1;
    std::string name_;
};

TEST(Notify, NothingToDoWithoutNotifySocket) {
    ::unsetenv("NOTIFY_SOCKET");
    EXPECT_FALSE(daemoniker::notify_ready());
    std::error_code ec;
    EXPECT_FALSE(daemoniker::notify("READY=1", ec));
    EXPECT_FALSE(ec);
}

TEST(Notify, DatagramsReachAPathSocket) {
    FakeServiceManager manager(false);
    EXPECT_TRUE(daemoniker::notify_ready());
    EXPECT_EQ(manager.receive(), "READY=1");
    EXPECT_TRUE(daemoniker::notify_status("two\nlines"));
    EXPECT_EQ(manager.receive(), "STATUS=two lines"); // no field injection
    EXPECT_TRUE(daemoniker::notify_stopping());
    EXPECT_EQ(manager.receive(), "STOPPING=1");
}

TEST(Notify, DatagramsReachAnAbstractSocket) {
    FakeServiceManager manager(true);
    EXPECT_TRUE(daemoniker::notify("READY=1\nSTATUS=up"));
    EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=up");
}

TEST(Notify, BadNotifySocketIsAnError) {
    ::setenv("NOTIFY_SOCKET", "relative/path", 1);
    EXPECT_THROW(daemoniker::notify_ready(), daemoniker::Error);
    ::setenv("NOTIFY_SOCKET", "/nonexistent/daemoniker/socket", 1);
    std::error_code ec;
    EXPECT_FALSE(daemoniker::notify("READY=1", ec));
    EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
    ::unsetenv("NOTIFY_SOCKET");
}

} // namespace
