// What the fuzzers found (fuzz/, docs/reliability.md), kept as ordinary tests
// so the default suite guards the fixes too. The inputs are also seeds in
// fuzz/corpus/.

#include <daemoniker/pid_file.hpp>
#include <daemoniker/signals.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

class FuzzFindings : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/daemoniker-findings-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    fs::path file(const std::string& contents) {
        const auto p = dir_ / "f.pid";
        std::ofstream(p, std::ios::binary | std::ios::trunc) << contents;
        return p;
    }
    fs::path dir_;
};

// 70 blanks and a PID: parse_pid read a PID where send() and
// inspect_pid_file(), which read 64 bytes, saw a malformed file.
TEST_F(FuzzFindings, FirstLineLongerThanAReaderReadsIsMalformedForEveryone) {
    for (const std::string& contents : {std::string(70, ' ') + "12\n", "12" + std::string(61, ' ') + "x\n"}) {
        EXPECT_EQ(daemoniker::parse_pid(contents), std::nullopt) << contents.size();
        std::error_code ec;
        const auto info = daemoniker::inspect_pid_file(file(contents), ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(info.pid, 0);
        daemoniker::send(file(contents), daemoniker::Signal::sigusr1, ec);
        EXPECT_EQ(ec, daemoniker::errc::malformed_pid_file);
    }
    // The longest first line still accepted: max_pid_line bytes before the newline.
    const std::string longest = std::string(daemoniker::max_pid_line - 2, ' ') + "12";
    EXPECT_EQ(daemoniker::parse_pid(longest + "\n"), 12);
    EXPECT_EQ(daemoniker::parse_pid(" " + longest + "\n"), std::nullopt);
    EXPECT_EQ(daemoniker::inspect_pid_file(file(longest + "\n")).pid, 12);
}

// "60\n1337": on the fuzzing machine PID 60 was a thread, not a process.
// pidfd_open() refuses a thread's ID with ENOENT (EINVAL before Linux 6.9),
// which the reader took for an unreadable file. A file naming a thread names
// no process: stale.
TEST_F(FuzzFindings, PidFileNamingAThreadIsStale) {
    std::promise<pid_t> tid;
    std::promise<void> done;
    std::thread thread([&] {
        tid.set_value(static_cast<pid_t>(::syscall(SYS_gettid)));
        done.get_future().wait();
    });
    const pid_t id = tid.get_future().get();
    std::error_code ec;
    const auto info = daemoniker::inspect_pid_file(file(std::to_string(id) + "\n"), ec);
    done.set_value();
    thread.join();
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(info.state, daemoniker::PidFileState::stale);
    EXPECT_EQ(info.pid, id);
}

// Numbers of 10 to 16 digits overflowed an int (UBSan).
TEST_F(FuzzFindings, LongSignalNumbersDoNotOverflow) {
    EXPECT_EQ(daemoniker::parse_signal("99999999999999"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_signal("9999999999999999"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_signal("2147483648"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_signal("4294967311"), std::nullopt); // 2^32 + 15: SIGTERM if truncated
    EXPECT_EQ(daemoniker::parse_signal("0000000000000015"), daemoniker::Signal::sigterm);
    EXPECT_EQ(daemoniker::parse_signal("00000000000000015"), std::nullopt); // 17 characters
}

} // namespace
