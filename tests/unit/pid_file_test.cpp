// Unit tests of PID files: parse_pid, inspect_pid_file and the daemon's
// locked file (detail::HeldPidFile), on real files in a fresh temporary
// directory per test.

#include "pid_file_internal.hpp"

#include <daemoniker/errors.hpp>
#include <daemoniker/pid_file.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace std::string_literals;
using daemoniker::errc;
using daemoniker::PidFileInfo;
using daemoniker::PidFileState;
using daemoniker::process_id;
using daemoniker::Step;
using daemoniker::detail::HeldPidFile;
using daemoniker::detail::Failure;

process_id self() { return static_cast<process_id>(::getpid()); }

std::string pid_line(process_id pid) { return std::to_string(pid) + "\n"; }

std::string describe(const Failure& f) {
    std::ostringstream out;
    out << "step '" << daemoniker::to_string(f.step) << "', errno " << f.error << " (" << std::strerror(f.error)
        << "), detail " << static_cast<int>(f.detail) << ", value " << f.value;
    return out.str();
}

std::string describe(const PidFileInfo& info) {
    const char* state = info.state == PidFileState::absent  ? "absent"
                        : info.state == PidFileState::stale ? "stale"
                                                            : "running";
    return std::string(state) + " pid " + std::to_string(info.pid);
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Permission bits (with setuid/setgid/sticky) of the file itself, or -1.
int mode_of(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return -1;
    return static_cast<int>(st.st_mode & 07777);
}

ino_t inode_of(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return 0;
    return st.st_ino;
}

bool exists_no_follow(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

/// Creates `path` with exactly `mode` (whatever the umask) and `content`.
void write_file(const fs::path& path, std::string_view content, mode_t mode = 0644) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
    ASSERT_EQ(::fchmod(fd, mode), 0) << std::strerror(errno);
    ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ASSERT_EQ(::close(fd), 0);
}

class UmaskGuard {
public:
    explicit UmaskGuard(mode_t mask) noexcept : previous_(::umask(mask)) {}
    UmaskGuard(const UmaskGuard&) = delete;
    UmaskGuard& operator=(const UmaskGuard&) = delete;
    ~UmaskGuard() { ::umask(previous_); }

private:
    mode_t previous_;
};

/// Runs `f` on another thread and fails (instead of hanging the suite) when it
/// does not return within a deadline; a call stuck on `fifo` is then released
/// by opening the FIFO's other end and writing a byte.
template <class F>
auto with_deadline(const fs::path& fifo, F f) -> std::optional<decltype(f())> {
    auto done = std::async(std::launch::async, std::move(f));
    if (done.wait_for(10s) == std::future_status::ready) return done.get();
    ADD_FAILURE() << "the call hung on the FIFO " << fifo;
    const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
        (void)::write(fd, "x", 1);
        ::close(fd);
    }
    (void)done.get();
    return std::nullopt;
}

/// Each test gets a fresh private directory, removed in TearDown whatever
/// happened.
class PidFileDir : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "daemoniker-pid-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
        dir_ = pattern;
        pid_file_ = dir_ / "daemon.pid";
    }

    void TearDown() override {
        if (dir_.empty()) return;
        std::error_code ec;
        fs::remove_all(dir_, ec);
        EXPECT_FALSE(ec) << "cannot remove " << dir_ << ": " << ec.message();
    }

    fs::path dir_;
    fs::path pid_file_;
};

// What a reader or a second start in another process sees. With OFD locks
// that is what this process sees too. Without them (the portable build, and
// BSD and macOS) the record lock is a classic fcntl lock, which belongs to
// the process: the holder's own F_GETLK never reports it, its own second
// acquire would just take it again, and closing any descriptor of the file,
// as every reader does, drops it. So there the look is taken from a forked
// child, which reports through a pipe; ClassicLocks.* below states what the
// holder's own process sees.
struct Observed {
    PidFileState state = PidFileState::absent;
    process_id pid = 0;
    int error = 0;            // the reading's error code value, 0 when none
    Failure failure{};        // of acquire_elsewhere()
    bool acquired = false;
};

#ifdef DAEMONIKER_PORTABLE_POSIX
template <class F>
Observed in_child(F look) {
    int fds[2];
    if (::pipe(fds) != 0) return {PidFileState::absent, 0, errno, {}, false};
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        const Observed seen = look();
        const auto n = ::write(fds[1], &seen, sizeof seen);
        ::_exit(n == static_cast<ssize_t>(sizeof seen) ? 0 : 1);
    }
    ::close(fds[1]);
    Observed seen{};
    const auto n = child > 0 ? ::read(fds[0], &seen, sizeof seen) : -1;
    ::close(fds[0]);
    int status = 0;
    if (child > 0) ::waitpid(child, &status, 0);
    if (n != static_cast<ssize_t>(sizeof seen)) ADD_FAILURE() << "the observing child reported nothing";
    return seen;
}
#else
template <class F>
Observed in_child(F look) {
    return look();
}
#endif

/// inspect_pid_file() as another process sees it; a failure to read is a
/// test failure.
PidFileInfo inspect(const fs::path& path) {
    const Observed seen = in_child([&] {
        std::error_code ec;
        const auto info = daemoniker::inspect_pid_file(path, ec);
        return Observed{info.state, info.pid, ec.value(), {}, false};
    });
    EXPECT_EQ(seen.error, 0) << "inspect_pid_file failed with " << seen.error;
    return {seen.state, seen.pid};
}

/// A second start's acquire, as another process makes it; returns whether it
/// succeeded (it is released at once) and the failure.
bool acquire_elsewhere(const fs::path& path, process_id pid, Failure& failure) {
    const Observed seen = in_child([&] {
        Observed out{};
        HeldPidFile other;
        out.acquired = other.acquire(path, pid, out.failure);
        other.close();
        return out;
    });
    failure = seen.failure;
    return seen.acquired;
}

class InspectPidFile : public PidFileDir {};
class HeldPidFileTest : public PidFileDir {};

// ---- parse_pid ----------------------------------------------------------------

static_assert(noexcept(daemoniker::parse_pid("")));

std::optional<process_id> pid(process_id v) { return v; }

TEST(ParsePid, AcceptsAPidLine) {
    EXPECT_EQ(daemoniker::parse_pid("123\n"), pid(123));
    EXPECT_EQ(daemoniker::parse_pid("123"), pid(123));
    EXPECT_EQ(daemoniker::parse_pid("1"), pid(1));
    EXPECT_EQ(daemoniker::parse_pid("1\n"), pid(1));
    EXPECT_EQ(daemoniker::parse_pid("2147483647\n"), pid(2147483647));
    EXPECT_EQ(daemoniker::parse_pid("4194304\n"), pid(4194304));
}

TEST(ParsePid, AcceptsLeadingBlanks) {
    EXPECT_EQ(daemoniker::parse_pid("  123\n"), pid(123));
    EXPECT_EQ(daemoniker::parse_pid("\t123\n"), pid(123));
    EXPECT_EQ(daemoniker::parse_pid(" \t 77"), pid(77));
}

TEST(ParsePid, AcceptsTrailingBlanksAndCrlf) {
    EXPECT_EQ(daemoniker::parse_pid("123\r\n"), pid(123));
    EXPECT_EQ(daemoniker::parse_pid("123\r"), pid(123));
    EXPECT_EQ(daemoniker::parse_pid("123 \n"), pid(123));
    EXPECT_EQ(daemoniker::parse_pid("123 \t\r\n"), pid(123));
}

TEST(ParsePid, IgnoresEverythingAfterTheFirstLine) {
    EXPECT_EQ(daemoniker::parse_pid("123\n456\n"), pid(123));
    EXPECT_EQ(daemoniker::parse_pid("123\nnot a pid at all"), pid(123));
    EXPECT_EQ(daemoniker::parse_pid("123\r\n\0garbage"s), pid(123));
    EXPECT_EQ(daemoniker::parse_pid("123\n\n"), pid(123));
}

TEST(ParsePid, RejectsTrailingGarbage) {
    EXPECT_EQ(daemoniker::parse_pid("123abc\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("123x"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("12 34\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("12 34"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("1.5\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("0x10\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("123\0"s), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("123\r4\n"), std::nullopt);
}

TEST(ParsePid, RejectsEmptyAndBlank) {
    EXPECT_EQ(daemoniker::parse_pid(""), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("\r\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("   "), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid(" \n123\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("\n123\n"), std::nullopt);
}

TEST(ParsePid, RejectsZero) {
    EXPECT_EQ(daemoniker::parse_pid("0"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("0\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("000\n"), std::nullopt);
}

TEST(ParsePid, RejectsSigns) {
    EXPECT_EQ(daemoniker::parse_pid("-5\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("-1"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("+5\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("+5"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid(" -5"), std::nullopt);
}

TEST(ParsePid, RejectsValuesBeyond31Bits) {
    EXPECT_EQ(daemoniker::parse_pid("2147483648\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid("4294967297\n"), std::nullopt);          // 2^32 + 1: 1 if truncated to 32 bits
    EXPECT_EQ(daemoniker::parse_pid("18446744073709551617\n"), std::nullopt); // 2^64 + 1
    EXPECT_EQ(daemoniker::parse_pid("99999999999999999999999999999999999999\n"), std::nullopt);
    EXPECT_EQ(daemoniker::parse_pid(std::string(4096, '9')), std::nullopt);
}

// ---- inspect_pid_file ---------------------------------------------------------------

TEST_F(InspectPidFile, AbsentFile) {
    std::error_code ec = std::make_error_code(std::errc::io_error);
    const auto info = daemoniker::inspect_pid_file(pid_file_, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(info.state, PidFileState::absent);
    EXPECT_EQ(info.pid, 0);

    const auto thrown = daemoniker::inspect_pid_file(pid_file_); // does not throw
    EXPECT_EQ(thrown.state, PidFileState::absent);
    EXPECT_EQ(thrown.pid, 0);
}

TEST_F(InspectPidFile, AbsentWhenTheDirectoryIsMissing) {
    std::error_code ec;
    const auto info = daemoniker::inspect_pid_file(dir_ / "missing" / "daemon.pid", ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(info.state, PidFileState::absent);
}

TEST_F(InspectPidFile, UnlockedFileIsStaleWithItsPid) {
    write_file(pid_file_, "1234\n", 0640);
    std::error_code ec;
    const auto info = daemoniker::inspect_pid_file(pid_file_, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(info.state, PidFileState::stale) << describe(info);
    EXPECT_EQ(info.pid, 1234);
    // Inspecting changes nothing.
    EXPECT_EQ(slurp(pid_file_), "1234\n");
    EXPECT_EQ(mode_of(pid_file_), 0640);

    const auto thrown = daemoniker::inspect_pid_file(pid_file_);
    EXPECT_EQ(thrown.state, PidFileState::stale);
    EXPECT_EQ(thrown.pid, 1234);
}

TEST_F(InspectPidFile, StaleFileWithoutValidPidReportsZero) {
    write_file(pid_file_, "not a pid\n");
    std::error_code ec;
    auto info = daemoniker::inspect_pid_file(pid_file_, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(info.state, PidFileState::stale);
    EXPECT_EQ(info.pid, 0);

    const auto empty = dir_ / "empty.pid";
    write_file(empty, "");
    info = daemoniker::inspect_pid_file(empty, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(info.state, PidFileState::stale);
    EXPECT_EQ(info.pid, 0);
}

TEST_F(InspectPidFile, FileLockedByThisProcessIsRunning) {
    HeldPidFile held;
    Failure why;
    ASSERT_TRUE(held.acquire(pid_file_, self(), why)) << describe(why);
    const auto info = inspect(pid_file_);
    EXPECT_EQ(info.state, PidFileState::running) << describe(info);
    EXPECT_EQ(info.pid, self());

    // Inspecting did not take the lock from us: another acquire still fails.
    EXPECT_FALSE(acquire_elsewhere(pid_file_, self(), why));
    EXPECT_TRUE(held.held());
}

TEST_F(InspectPidFile, RunningReportsThePidWrittenInTheFile) {
    HeldPidFile held;
    Failure why;
    ASSERT_TRUE(held.acquire(pid_file_, self(), why)) << describe(why);
    const auto info = inspect(pid_file_);
    EXPECT_EQ(info.state, PidFileState::running) << describe(info);
    EXPECT_EQ(info.pid, self());
}

TEST_F(InspectPidFile, SymbolicLinkIsRefused) {
    const auto target = dir_ / "real.pid";
    write_file(target, "555\n");
    ASSERT_EQ(::symlink(target.c_str(), pid_file_.c_str()), 0) << std::strerror(errno);

    std::error_code ec;
    const auto info = daemoniker::inspect_pid_file(pid_file_, ec);
    EXPECT_EQ(ec, daemoniker::make_error_code(errc::symbolic_link)) << ec.message();
    EXPECT_EQ(&ec.category(), &daemoniker::category());
    EXPECT_EQ(info.state, PidFileState::absent);
    EXPECT_EQ(info.pid, 0);

    // A dangling link too.
    const auto dangling = dir_ / "dangling.pid";
    ASSERT_EQ(::symlink((dir_ / "nowhere").c_str(), dangling.c_str()), 0);
    (void)daemoniker::inspect_pid_file(dangling, ec);
    EXPECT_EQ(ec, daemoniker::make_error_code(errc::symbolic_link)) << ec.message();
}

TEST_F(InspectPidFile, ThrowingOverloadThrowsPidFileError) {
    ASSERT_EQ(::symlink((dir_ / "real.pid").c_str(), pid_file_.c_str()), 0) << std::strerror(errno);
    try {
        (void)daemoniker::inspect_pid_file(pid_file_);
        FAIL() << "a symbolic link was inspected";
    } catch (const daemoniker::PidFileError& e) {
        EXPECT_EQ(e.code(), daemoniker::make_error_code(errc::symbolic_link));
        EXPECT_EQ(e.path(), pid_file_);
        EXPECT_NE(std::string(e.what()).find(pid_file_.string()), std::string::npos) << e.what();
    }
    const auto directory = dir_ / "dir.pid";
    fs::create_directory(directory);
    EXPECT_THROW((void)daemoniker::inspect_pid_file(directory), daemoniker::PidFileError);
}

TEST_F(InspectPidFile, DirectoryIsNotARegularFile) {
    fs::create_directory(pid_file_);
    std::error_code ec;
    const auto info = daemoniker::inspect_pid_file(pid_file_, ec);
    EXPECT_EQ(ec, daemoniker::make_error_code(errc::not_regular_file)) << ec.message();
    EXPECT_EQ(info.state, PidFileState::absent);
}

TEST_F(InspectPidFile, FifoIsNotARegularFileAndDoesNotHang) {
    ASSERT_EQ(::mkfifo(pid_file_.c_str(), 0644), 0) << std::strerror(errno);
    const auto ec = with_deadline(pid_file_, [&] {
        std::error_code e;
        (void)daemoniker::inspect_pid_file(pid_file_, e);
        return e;
    });
    ASSERT_TRUE(ec.has_value());
    EXPECT_EQ(*ec, daemoniker::make_error_code(errc::not_regular_file)) << ec->message();
}

TEST_F(InspectPidFile, EmptyPathIsInvalid) {
    std::error_code ec;
    const auto info = daemoniker::inspect_pid_file(fs::path(), ec);
    EXPECT_TRUE(ec == std::errc::invalid_argument) << ec.message();
    EXPECT_EQ(info.state, PidFileState::absent);
    EXPECT_THROW((void)daemoniker::inspect_pid_file(fs::path()), daemoniker::PidFileError);
}

TEST_F(InspectPidFile, ParentThatIsAFileIsAnError) {
    write_file(dir_ / "file", "x");
    std::error_code ec;
    (void)daemoniker::inspect_pid_file(dir_ / "file" / "daemon.pid", ec);
    EXPECT_TRUE(ec == std::errc::not_a_directory) << ec.message();
    EXPECT_EQ(&ec.category(), &std::system_category());
    try {
        (void)daemoniker::inspect_pid_file(dir_ / "file" / "daemon.pid");
        FAIL() << "no exception";
    } catch (const daemoniker::PidFileError& e) {
        EXPECT_TRUE(e.code() == std::errc::not_a_directory) << e.code().message();
    }
}

// ---- HeldPidFile ------------------------------------------------------------------

TEST_F(HeldPidFileTest, AcquireCreatesTheFileWithThePid) {
    const UmaskGuard no_umask(0);
    HeldPidFile file;
    EXPECT_FALSE(file.held());
    Failure why;
    ASSERT_TRUE(file.acquire(pid_file_, self(), why)) << describe(why);
    EXPECT_TRUE(file.held());
    EXPECT_GE(file.native_handle(), 0);
    EXPECT_EQ(slurp(pid_file_), pid_line(self()));
    struct stat st {};
    ASSERT_EQ(::lstat(pid_file_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0644u) << std::oct << (st.st_mode & 07777);
    EXPECT_EQ(st.st_nlink, 1u);
    // The held descriptor is the file at the path.
    struct stat held {};
    ASSERT_EQ(::fstat(static_cast<int>(file.native_handle()), &held), 0);
    EXPECT_EQ(held.st_ino, st.st_ino);
    EXPECT_EQ(held.st_dev, st.st_dev);
}

TEST_F(HeldPidFileTest, AcquireWritesTheGivenPid) {
    HeldPidFile file;
    Failure why;
    ASSERT_TRUE(file.acquire(pid_file_, 2147483647, why)) << describe(why);
    EXPECT_EQ(slurp(pid_file_), "2147483647\n");
}

TEST_F(HeldPidFileTest, SecondAcquireFailsAtLockNamingTheHolder) {
    HeldPidFile first;
    Failure why;
    ASSERT_TRUE(first.acquire(pid_file_, self(), why)) << describe(why);

    Failure failure;
    EXPECT_FALSE(acquire_elsewhere(pid_file_, self(), failure));
    EXPECT_EQ(failure.step, Step::pid_file_lock) << describe(failure);
    EXPECT_EQ(failure.value, self()) << describe(failure);
    EXPECT_TRUE(failure.error == EAGAIN || failure.error == EACCES) << describe(failure);
#ifndef DAEMONIKER_PORTABLE_POSIX
    HeldPidFile second;
    EXPECT_FALSE(second.acquire(pid_file_, self(), failure));
    EXPECT_FALSE(second.held());
    EXPECT_EQ(second.native_handle(), -1);
#endif
    // The first holder and its file are untouched.
    EXPECT_TRUE(first.held());
    EXPECT_EQ(slurp(pid_file_), pid_line(self()));
}

TEST_F(HeldPidFileTest, HolderIsThePidInTheLockedFile) {
    HeldPidFile first;
    Failure why;
    ASSERT_TRUE(first.acquire(pid_file_, 31337, why)) << describe(why);
    EXPECT_FALSE(acquire_elsewhere(pid_file_, self(), why));
    EXPECT_EQ(why.step, Step::pid_file_lock) << describe(why);
    EXPECT_EQ(why.value, 31337) << describe(why);
    EXPECT_EQ(slurp(pid_file_), "31337\n");
}

TEST_F(HeldPidFileTest, StaleFileIsTakenOverAndRewritten) {
    write_file(pid_file_, "99999999\n", 0644);
    const auto inode = inode_of(pid_file_);

    HeldPidFile file;
    Failure why;
    ASSERT_TRUE(file.acquire(pid_file_, self(), why)) << describe(why);
    // Looked at before this process reads the file: without OFD locks its
    // reading drops the lock (ClassicLocksAreLostWhenTheHolderReadsItsOwnFile).
    const auto info = inspect(pid_file_);
    EXPECT_EQ(info.state, PidFileState::running) << describe(info);
    EXPECT_EQ(info.pid, self());
    EXPECT_EQ(slurp(pid_file_), pid_line(self())); // rewritten and truncated
    EXPECT_EQ(inode_of(pid_file_), inode);         // the same file, taken over
    EXPECT_EQ(mode_of(pid_file_), 0644);
}

// Files that somebody else could have written, or that are not PID files,
// are refused and left exactly as they were.
TEST_F(HeldPidFileTest, StaleFileWritableByOthersIsRefusedUntouched) {
    for (const mode_t mode : {0666u, 0664u, 0646u}) {
        write_file(pid_file_, "99999\n", mode);
        const auto before = slurp(pid_file_);
        HeldPidFile file;
        Failure why;
        EXPECT_FALSE(file.acquire(pid_file_, self(), why)) << std::oct << mode;
        EXPECT_EQ(why.detail, errc::writable_by_others) << describe(why);
        EXPECT_EQ(mode_of(pid_file_), mode);
        EXPECT_EQ(slurp(pid_file_), before);
        std::error_code ec;
        daemoniker::inspect_pid_file(pid_file_, ec);
        EXPECT_EQ(ec, errc::writable_by_others) << std::oct << mode;
        fs::remove(pid_file_);
    }
}

TEST_F(HeldPidFileTest, FileThatIsNotAPidFileIsRefusedUntouched) {
    for (const std::string& content : {std::string("99999\nleftovers of a longer previous content\n"),
                                      std::string("# configuration\nport = 80\n"), std::string("42\n43\n"),
                                      std::string(200, '7') + "\n", std::string("\0\0\0", 3)}) {
        write_file(pid_file_, content, 0644);
        HeldPidFile file;
        Failure why;
        EXPECT_FALSE(file.acquire(pid_file_, self(), why));
        EXPECT_EQ(why.detail, errc::not_a_pid_file) << describe(why);
        EXPECT_EQ(slurp(pid_file_), content);
        fs::remove(pid_file_);
    }
}

TEST_F(HeldPidFileTest, PidFileWithASecondLinkIsRefusedUntouched) {
    write_file(pid_file_, "99999\n", 0644);
    const auto other = dir_ / "other-name";
    ASSERT_EQ(::link(pid_file_.c_str(), other.c_str()), 0) << std::strerror(errno);
    HeldPidFile file;
    Failure why;
    EXPECT_FALSE(file.acquire(pid_file_, self(), why));
    EXPECT_EQ(why.detail, errc::not_a_pid_file) << describe(why);
    EXPECT_EQ(slurp(other), "99999\n");
}

TEST_F(HeldPidFileTest, EmptyAndBlankPidLinesAreTakenOver) {
    for (const std::string& content : {std::string(), std::string("  123 \r\n"), std::string("77")}) {
        write_file(pid_file_, content, 0600);
        HeldPidFile file;
        Failure why;
        EXPECT_TRUE(file.acquire(pid_file_, self(), why)) << describe(why) << " for '" << content << "'";
        EXPECT_EQ(slurp(pid_file_), pid_line(self()));
        file.release();
    }
}

TEST_F(HeldPidFileTest, StaleFileModeIsNeverLoosened) {
    write_file(pid_file_, "99999\n", 0600);
    HeldPidFile file;
    Failure why;
    ASSERT_TRUE(file.acquire(pid_file_, self(), why)) << describe(why);
    EXPECT_EQ(mode_of(pid_file_), 0600);
    EXPECT_EQ(slurp(pid_file_), pid_line(self()));
}


TEST_F(HeldPidFileTest, SymbolicLinkIsRefusedAndItsTargetNotCreated) {
    const auto target = dir_ / "target.pid";
    ASSERT_EQ(::symlink(target.c_str(), pid_file_.c_str()), 0) << std::strerror(errno);
    HeldPidFile file;
    Failure why;
    EXPECT_FALSE(file.acquire(pid_file_, self(), why));
    EXPECT_EQ(why.step, Step::pid_file_open) << describe(why);
    EXPECT_EQ(why.detail, errc::symbolic_link) << describe(why);
    EXPECT_FALSE(file.held());
    EXPECT_FALSE(exists_no_follow(target));
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(pid_file_)));
}

TEST_F(HeldPidFileTest, SymbolicLinkToAnExistingFileIsRefusedAndTheFileUntouched) {
    const auto target = dir_ / "target.pid";
    write_file(target, "777\n", 0666);
    ASSERT_EQ(::symlink(target.c_str(), pid_file_.c_str()), 0) << std::strerror(errno);
    HeldPidFile file;
    Failure why;
    EXPECT_FALSE(file.acquire(pid_file_, self(), why));
    EXPECT_EQ(why.detail, errc::symbolic_link) << describe(why);
    EXPECT_EQ(slurp(target), "777\n");
    EXPECT_EQ(mode_of(target), 0666);
}

TEST_F(HeldPidFileTest, DirectoryIsRefused) {
    fs::create_directory(pid_file_);
    HeldPidFile file;
    Failure why;
    EXPECT_FALSE(file.acquire(pid_file_, self(), why));
    EXPECT_EQ(why.step, Step::pid_file_open) << describe(why);
    EXPECT_EQ(why.detail, errc::not_regular_file) << describe(why);
    EXPECT_FALSE(file.held());
    EXPECT_TRUE(fs::is_directory(fs::symlink_status(pid_file_)));
    EXPECT_TRUE(fs::is_empty(pid_file_));
}

TEST_F(HeldPidFileTest, FifoIsRefusedWithoutHanging) {
    ASSERT_EQ(::mkfifo(pid_file_.c_str(), 0644), 0) << std::strerror(errno);
    HeldPidFile file;
    const auto failure = with_deadline(pid_file_, [&] {
        Failure why;
        const bool ok = file.acquire(pid_file_, self(), why);
        return std::make_pair(ok, why);
    });
    ASSERT_TRUE(failure.has_value());
    EXPECT_FALSE(failure->first);
    EXPECT_EQ(failure->second.step, Step::pid_file_open) << describe(failure->second);
    EXPECT_EQ(failure->second.detail, errc::not_regular_file) << describe(failure->second);
    EXPECT_FALSE(file.held());
    EXPECT_TRUE(fs::is_fifo(fs::symlink_status(pid_file_)));
}

TEST_F(HeldPidFileTest, WorldWritableDirectoryWithoutStickyBitIsRefused) {
    const auto shared = dir_ / "shared";
    ASSERT_EQ(::mkdir(shared.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(shared.c_str(), 0777), 0);
    const auto path = shared / "daemon.pid";

    HeldPidFile file;
    Failure why;
    EXPECT_FALSE(file.acquire(path, self(), why));
    EXPECT_EQ(why.step, Step::pid_file_open) << describe(why);
    EXPECT_EQ(why.detail, errc::unsafe_directory) << describe(why);
    EXPECT_FALSE(file.held());
    EXPECT_FALSE(exists_no_follow(path));

    // The same directory with the sticky bit (like /tmp) is fine.
    ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
    ASSERT_TRUE(file.acquire(path, self(), why)) << describe(why);
    EXPECT_EQ(slurp(path), pid_line(self()));
}

TEST_F(HeldPidFileTest, ReleaseRemovesTheFile) {
    HeldPidFile file;
    Failure why;
    ASSERT_TRUE(file.acquire(pid_file_, self(), why)) << describe(why);
    ASSERT_TRUE(exists_no_follow(pid_file_));
    file.release();
    EXPECT_FALSE(file.held());
    EXPECT_EQ(file.native_handle(), -1);
    EXPECT_FALSE(exists_no_follow(pid_file_));
    file.release(); // a second release is harmless
    EXPECT_FALSE(exists_no_follow(pid_file_));
}

TEST_F(HeldPidFileTest, ReleaseKeepsAFileThatReplacedOurs) {
    HeldPidFile file;
    Failure why;
    ASSERT_TRUE(file.acquire(pid_file_, self(), why)) << describe(why);
    const auto replacement = dir_ / "replacement";
    write_file(replacement, "4242\n");
    ASSERT_EQ(::rename(replacement.c_str(), pid_file_.c_str()), 0) << std::strerror(errno);

    file.release();
    EXPECT_FALSE(file.held());
    ASSERT_TRUE(exists_no_follow(pid_file_));
    EXPECT_EQ(slurp(pid_file_), "4242\n");
    const auto info = daemoniker::inspect_pid_file(pid_file_);
    EXPECT_EQ(info.state, PidFileState::stale) << describe(info);
    EXPECT_EQ(info.pid, 4242);
}

TEST_F(HeldPidFileTest, AcquireWorksAgainAfterRelease) {
    HeldPidFile file;
    Failure why;
    ASSERT_TRUE(file.acquire(pid_file_, self(), why)) << describe(why);
    file.release();
    ASSERT_TRUE(file.acquire(pid_file_, 1001, why)) << describe(why);
    // Tried before this process reads the file (classic locks: see above).
    EXPECT_FALSE(acquire_elsewhere(pid_file_, 1002, why));
    EXPECT_EQ(why.value, 1001) << describe(why);
    EXPECT_EQ(slurp(pid_file_), "1001\n");
    file.release();
    HeldPidFile other;
    ASSERT_TRUE(other.acquire(pid_file_, self(), why)) << describe(why);
    EXPECT_EQ(slurp(pid_file_), pid_line(self()));
    other.release();
    EXPECT_FALSE(exists_no_follow(pid_file_));
}

TEST_F(HeldPidFileTest, ReleaseRemovesOnlyInTheProcessWhosePidWasWritten) {
    // The file names another process: this one only unlocks it.
    HeldPidFile file;
    Failure why;
    ASSERT_TRUE(file.acquire(pid_file_, 1001, why)) << describe(why);
    file.release();
    EXPECT_FALSE(file.held());
    ASSERT_TRUE(exists_no_follow(pid_file_));
    const auto info = daemoniker::inspect_pid_file(pid_file_);
    EXPECT_EQ(info.state, PidFileState::stale) << describe(info);
    EXPECT_EQ(info.pid, 1001);
}

TEST_F(HeldPidFileTest, CloseKeepsTheFileButDropsTheLock) {
    HeldPidFile file;
    Failure why;
    ASSERT_TRUE(file.acquire(pid_file_, self(), why)) << describe(why);
    file.close();
    EXPECT_FALSE(file.held());
    EXPECT_EQ(slurp(pid_file_), pid_line(self()));
    const auto info = daemoniker::inspect_pid_file(pid_file_);
    EXPECT_EQ(info.state, PidFileState::stale) << describe(info);
    EXPECT_EQ(info.pid, self());

    HeldPidFile next;
    EXPECT_TRUE(next.acquire(pid_file_, 2024, why)) << describe(why);
    EXPECT_EQ(slurp(pid_file_), "2024\n");
}

TEST_F(HeldPidFileTest, DestructorDropsTheLockAndKeepsTheFile) {
    {
        HeldPidFile file;
        Failure why;
        ASSERT_TRUE(file.acquire(pid_file_, self(), why)) << describe(why);
    }
    const auto info = daemoniker::inspect_pid_file(pid_file_);
    EXPECT_EQ(info.state, PidFileState::stale) << describe(info);
    EXPECT_EQ(info.pid, self());
}

TEST_F(HeldPidFileTest, MoveTransfersTheLock) {
    HeldPidFile a;
    Failure why;
    ASSERT_TRUE(a.acquire(pid_file_, self(), why)) << describe(why);
    HeldPidFile b(std::move(a));
    EXPECT_FALSE(a.held()); // NOLINT(bugprone-use-after-move): moved-from state is specified
    EXPECT_TRUE(b.held());
    a.release(); // nothing to release: the file stays
    EXPECT_TRUE(exists_no_follow(pid_file_));
    EXPECT_EQ(inspect(pid_file_).state, PidFileState::running);

    HeldPidFile c;
    c = std::move(b);
    EXPECT_FALSE(b.held()); // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(c.held());
    c.release();
    EXPECT_FALSE(exists_no_follow(pid_file_));
}

TEST_F(HeldPidFileTest, ReleaseInAForkedChildLeavesTheFile) {
    HeldPidFile file;
    Failure why;
    ASSERT_TRUE(file.acquire(pid_file_, self(), why)) << describe(why);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0) << std::strerror(errno);
    if (child == 0) {
        file.release(); // not the owner: must not unlink
        struct stat st {};
        ::_exit(::lstat(pid_file_.c_str(), &st) == 0 ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_TRUE(exists_no_follow(pid_file_));
    // The lock belongs to the open file description we still share (OFD
    // locks), or to this process, which the child was not (classic locks).
    EXPECT_EQ(inspect(pid_file_).state, PidFileState::running);
    file.release();
    EXPECT_FALSE(exists_no_follow(pid_file_));
}

} // namespace

namespace {

TEST_F(HeldPidFileTest, RelativePathWithoutDirectoryPart) {
    const auto cwd = fs::current_path();
    fs::current_path(dir_);
    HeldPidFile file;
    Failure why;
    const bool ok = file.acquire("bare.pid", 4242, why);
    fs::current_path(cwd);
    ASSERT_TRUE(ok) << describe(why);
    EXPECT_EQ(slurp(dir_ / "bare.pid"), "4242\n");
}

TEST_F(HeldPidFileTest, AcquiringAgainDropsWhatWasHeld) {
    HeldPidFile file;
    Failure why;
    ASSERT_TRUE(file.acquire(pid_file_, self(), why)) << describe(why);
    const auto second = dir_ / "second.pid";
    ASSERT_TRUE(file.acquire(second, self(), why)) << describe(why);
    // The first file is no longer locked by anyone: it is stale now.
    EXPECT_EQ(inspect(pid_file_).state, daemoniker::PidFileState::stale);
    EXPECT_EQ(inspect(second).state, daemoniker::PidFileState::running);
}

} // namespace

#ifdef DAEMONIKER_PORTABLE_POSIX
namespace {

// Without OFD locks the record lock is a classic fcntl lock: the weaker
// guarantee, stated. The process that holds it cannot read its own PID file
// without losing it (closing the reader's descriptor drops every classic
// lock the process holds on the file). The flock(2) it also holds belongs to
// the open file and survives, so the file is still not taken over; but
// readers no longer believe it names a daemon.
TEST_F(HeldPidFileTest, ClassicLocksAreLostWhenTheHolderReadsItsOwnFile) {
    HeldPidFile held;
    Failure why;
    ASSERT_TRUE(held.acquire(pid_file_, self(), why)) << describe(why);
    ASSERT_EQ(inspect(pid_file_).state, PidFileState::running);

    // The holder's own look: its F_GETLK does not see its own lock, only a
    // flock that is not a daemon's lock, and closing the file drops the lock.
    std::error_code ec;
    (void)daemoniker::inspect_pid_file(pid_file_, ec);
    EXPECT_EQ(ec, daemoniker::make_error_code(daemoniker::errc::foreign_lock)) << ec.message();

    // From now on nobody believes the file, and nobody takes it over.
    const Observed seen = in_child([&] {
        std::error_code other;
        const auto info = daemoniker::inspect_pid_file(pid_file_, other);
        return Observed{info.state, info.pid, other.value(), {}, false};
    });
    EXPECT_EQ(seen.error, static_cast<int>(daemoniker::errc::foreign_lock));
    EXPECT_FALSE(acquire_elsewhere(pid_file_, 4242, why));
    EXPECT_EQ(slurp(pid_file_), pid_line(self()));
}

} // namespace
#endif
