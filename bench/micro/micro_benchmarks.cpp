// Micro-benchmarks of the pieces of a start (Google Benchmark):
//
//   close/<strategy>/<layout>/<limit>
//       closing inherited descriptors: the library's close_inherited
//       (close_range here), its /proc/self/fd and poll() strategies forced,
//       the portable build's /dev/fd listing (close_strategies.hpp: what
//       macOS and FreeBSD run), and the naive loop of close() up to the limit
//       that start-stop-daemon, daemonize and libslack's daemon run. The
//       process holds 0-2, the kept descriptor 3 and 16 more:
//         low     4-19, as a daemon usually inherits them;
//         spread  4-11 and 8 spread up to the highest the limit allows.
//       Limits 1,024, 20,000 and 1,048,576 (soft RLIMIT_NOFILE). Where the
//       machine does not grant a limit, the code that reads the limit is
//       shown it ("simulated" in the name) and the spread ends at the real
//       one; close_range and /proc/self/fd never read it.
//       The kernel's descriptor table grows with the highest descriptor ever
//       open and never shrinks, and close_range walks that table: all "low"
//       runs come before the first "spread" run for that reason.
//   pid_file/create            HeldPidFile::acquire of a new PID file (O_TMPFILE,
//                              OFD lock, write, linkat); release untimed.
//   pid_file/take_over_stale   acquire of an existing unlocked file.
//   pid_file/floor             what the C floor does: open(O_CREAT), OFD lock,
//                              ftruncate, pwrite.
//   codec/encode|decode/<n>    the preserved-argument codec on a typical
//                              argument list (n = 1) and on one with n-fold
//                              vector and map sizes.
//
// Run by bench/run; alone: build/release/bench/micro_benchmarks.

#include "close_strategies.hpp"
#include "descriptors.hpp"
#include "pid_file_internal.hpp"

#include <daemoniker/codec.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace {

using bench_clock = std::chrono::steady_clock;

constexpr long limits[] = {1024, 20000, 1048576};
constexpr int kept_fd = 3; // the /dev/null descriptor the others are made from; kept
constexpr int kept[] = {0, 1, 2, kept_fd};

rlim_t hard_limit() {
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_max;
}

// Sets the soft limit to what the machine grants of `limit`; returns it.
long apply_limit(long limit) {
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    const long granted = rl.rlim_max == RLIM_INFINITY ? limit : std::min(limit, static_cast<long>(rl.rlim_max));
    rl.rlim_cur = static_cast<rlim_t>(granted);
    ::setrlimit(RLIMIT_NOFILE, &rl);
    return granted;
}

void restore_limit() {
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
}

enum class Layout { low, spread };

// Opens the 16 descriptors of the layout; `granted` is the soft limit.
void open_inherited(Layout layout, long granted) {
    if (layout == Layout::low) {
        for (int fd = 4; fd < 20; ++fd) ::dup2(kept_fd, fd);
        return;
    }
    for (int fd = 4; fd < 12; ++fd) ::dup2(kept_fd, fd);
    for (long i = 1; i <= 8; ++i) ::dup2(kept_fd, static_cast<int>(12 + (granted - 13) * i / 8));
}

// start-stop-daemon's, daemonize's and libslack daemon's way: close() every
// descriptor up to the limit that the program is told.
int naive_loop(const int* keep, int keep_count, long limit) noexcept {
    for (long fd = 0; fd < limit; ++fd) {
        bool skip = false;
        for (int i = 0; i < keep_count; ++i) skip = skip || keep[i] == fd;
        if (!skip) ::close(static_cast<int>(fd));
    }
    return 0;
}

enum class Strategy { library, directory, dev_fd, polling, naive };

void BM_close(benchmark::State& state, Strategy strategy, Layout layout, long limit) {
    const long granted = apply_limit(limit);
    const long seen = granted < limit ? limit : 0; // the simulated limit, if any
    bench::simulate_nofile(seen);
    for (auto _ : state) {
        open_inherited(layout, granted);
        const auto t0 = bench_clock::now();
        int e = 0;
        switch (strategy) {
        case Strategy::library: e = daemoniker::detail::close_inherited(kept, 4, 1024); break;
        case Strategy::directory: e = bench::close_by_directory(kept, 4, 1024); break;
        case Strategy::dev_fd: e = bench::close_by_dev_fd(kept, 4, 1024); break;
        case Strategy::polling: e = bench::close_by_polling(kept, 4, 1024); break;
        case Strategy::naive: e = naive_loop(kept, 4, seen != 0 ? seen : granted); break;
        }
        const auto t1 = bench_clock::now();
        if (e != 0) {
            state.SkipWithError("closing failed");
            break;
        }
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    }
    bench::simulate_nofile(0);
    restore_limit();
}

std::string limit_name(long limit) {
    const bool simulated = hard_limit() != RLIM_INFINITY && static_cast<long>(hard_limit()) < limit;
    return std::to_string(limit) + (simulated ? "_simulated" : "");
}

void register_close_benchmarks() {
    const std::pair<const char*, Strategy> strategies[] = {{"close_range (library)", Strategy::library},
                                                           {"proc_self_fd (library)", Strategy::directory},
                                                           {"dev_fd (portable build)", Strategy::dev_fd},
                                                           {"poll_batched (library)", Strategy::polling},
                                                           {"naive_close_loop", Strategy::naive}};
    for (Layout layout : {Layout::low, Layout::spread})
        for (long limit : limits)
            for (const auto& [name, strategy] : strategies) {
                const std::string full = std::string("close/") + name + (layout == Layout::low ? "/low/" : "/spread/") +
                                         limit_name(limit);
                auto* b = benchmark::RegisterBenchmark(full.c_str(), BM_close, strategy, layout, limit);
                b->UseManualTime()->Unit(benchmark::kMicrosecond);
                if (strategy == Strategy::naive || strategy == Strategy::polling) b->MinTime(0.2);
            }
}

// ---- PID file -----------------------------------------------------------------

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/daemoniker-micro-XXXXXX";
        if (::mkdtemp(tmpl) != nullptr) path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
};

void BM_pid_file(benchmark::State& state, bool stale) {
    TempDir dir;
    const auto path = dir.path / "bench.pid";
    const auto pid = static_cast<daemoniker::process_id>(::getpid());
    for (auto _ : state) {
        if (stale) {
            const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0 || ::write(fd, "99999\n", 6) != 6) {
                state.SkipWithError("cannot create the stale PID file");
                break;
            }
            ::close(fd);
        }
        daemoniker::detail::HeldPidFile file;
        daemoniker::detail::Failure why;
        const auto t0 = bench_clock::now();
        const bool ok = file.acquire(path, pid, why);
        const auto t1 = bench_clock::now();
        if (!ok) {
            state.SkipWithError("acquire failed");
            break;
        }
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
        file.release(); // untimed: removes the file
    }
}

// The C floor's PID file (bench/c/floor_daemon.c): no unnamed file, no
// symlink or directory checks, no takeover logic.
void BM_pid_file_floor(benchmark::State& state) {
    TempDir dir;
    const auto path = dir.path / "bench.pid";
    for (auto _ : state) {
        const auto t0 = bench_clock::now();
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        struct flock lock {};
        lock.l_type = F_WRLCK;
        lock.l_whence = SEEK_SET;
        char line[24];
        const int len = std::snprintf(line, sizeof line, "%ld\n", static_cast<long>(::getpid()));
        const bool ok = fd >= 0 && ::fcntl(fd, F_OFD_SETLK, &lock) == 0 && ::ftruncate(fd, 0) == 0 &&
                        ::pwrite(fd, line, static_cast<std::size_t>(len), 0) == len;
        const auto t1 = bench_clock::now();
        if (fd >= 0) ::close(fd);
        ::unlink(path.c_str());
        if (!ok) {
            state.SkipWithError("the floor's PID file failed");
            break;
        }
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    }
}

// ---- codec --------------------------------------------------------------------

struct Arguments {
    int port = 8080;
    std::string name = "worker";
    std::filesystem::path config = "/etc/app/app.conf";
    std::vector<std::string> args;
    std::map<std::string, int> weights;
    std::optional<double> ratio = 0.75;
};

Arguments make_arguments(std::size_t scale) {
    Arguments a;
    for (std::size_t i = 0; i < 8 * scale; ++i) a.args.push_back("--option-" + std::to_string(i) + "=value");
    for (std::size_t i = 0; i < 8 * scale; ++i) a.weights["key-" + std::to_string(i)] = static_cast<int>(i);
    return a;
}

void BM_encode(benchmark::State& state) {
    const Arguments a = make_arguments(static_cast<std::size_t>(state.range(0)));
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto payload = daemoniker::encode(a.port, a.name, a.config, a.args, a.weights, a.ratio);
        bytes += payload.size();
        benchmark::DoNotOptimize(payload);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_decode(benchmark::State& state) {
    const Arguments a = make_arguments(static_cast<std::size_t>(state.range(0)));
    const auto payload = daemoniker::encode(a.port, a.name, a.config, a.args, a.weights, a.ratio);
    for (auto _ : state) {
        auto values = daemoniker::decode<int, std::string, std::filesystem::path, std::vector<std::string>,
                                         std::map<std::string, int>, std::optional<double>>(payload);
        benchmark::DoNotOptimize(values);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(payload.size() * static_cast<std::size_t>(state.iterations())));
}

} // namespace

int main(int argc, char** argv) {
    // Descriptor 3 is the /dev/null that the close benchmarks copy and keep.
    const int null = ::open("/dev/null", O_RDONLY);
    if (null != kept_fd && (null < 0 || ::dup2(null, kept_fd) != kept_fd)) return 1;
    if (null != kept_fd) ::close(null);

    register_close_benchmarks();
    benchmark::RegisterBenchmark("pid_file/create", BM_pid_file, false)->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("pid_file/take_over_stale", BM_pid_file, true)->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("pid_file/floor", BM_pid_file_floor)->UseManualTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("codec/encode", BM_encode)->Arg(1)->Arg(100)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("codec/decode", BM_decode)->Arg(1)->Arg(100)->Unit(benchmark::kMicrosecond);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
