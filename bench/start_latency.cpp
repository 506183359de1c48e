// Start latency of daemonizers, measured from outside, and the resident
// memory and threads of the daemons they leave running.
//
//   start_latency --contenders FILE --limit SPEC [--limit SPEC ...]
//                 [--rounds N] [--warmup N] [--shim LIB] [--settle-ms MS]
//                 [--table start|memory] [--tsv FILE] [--work DIR]
//
// Each contender is a command line (one per line of FILE, see below). One run
// of a contender: the harness takes CLOCK_MONOTONIC, starts the command with
// vfork+execve (posix_spawn's mechanism, plus setting RLIMIT_NOFILE in the
// child), and records
//   returns      when the command exited (status 0 required), and
//   daemon runs  the CLOCK_MONOTONIC time the daemon itself reports, first
//                thing in its own code, on a FIFO (c/stamp.h, stamp.hpp),
// both relative to its own start time; then it reads the daemon's VmRSS and
// Threads from /proc, sends it SIGTERM and waits until every process of the
// run is gone (the harness is a child subreaper, so every orphaned daemon
// becomes its child and is reaped). Rounds run every contender at every
// limit once, rotating the order each round (A B C, B C A, ...), so drift of
// the machine hits all alike.
//
// A limit SPEC is LABEL:REAL[:REPORTED]. REAL becomes the soft and hard
// RLIMIT_NOFILE of the command; with REPORTED the command runs with LIB
// preloaded and DAEMONIKER_BENCH_NOFILE=REPORTED, so every libc call that
// asks the limit sees REPORTED (c/nofile_shim.c). When a shim is given it is
// preloaded at every limit (passing through where nothing is simulated), so
// its own cost is the same in every column.
//
// The contenders file: one contender per line, fields separated by tabs:
//   KEY  LABEL  FLOOR  NOTE  PROGRAM  ARG...
// FLOOR is the KEY of the row this one is compared with ("-" for none); NOTE
// says whether the command returns before the daemon runs. In the arguments
// {pid} becomes a PID file path, {fifo} the FIFO path and {dir} the run's
// private directory. A command without {fifo} starts no daemon (only
// "returns" is measured). Lines starting with # are comments.
//
// Processes: the harness kills only processes of its own runs — its children
// and the processes whose command line names the run's private directory —
// and removes every run directory. SIGINT/SIGTERM end it the same way.

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

namespace {

namespace fs = std::filesystem;

constexpr double none = std::numeric_limits<double>::quiet_NaN();

volatile std::sig_atomic_t interrupted = 0;

void on_signal(int) { interrupted = 1; }

std::int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void sleep_ms(int ms) {
    const timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1000000L};
    ::nanosleep(&ts, nullptr);
}

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "start_latency: %s\n", what.c_str());
    std::exit(1);
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)); }

struct Contender {
    std::string key, label, floor, note;
    std::vector<std::string> argv;
    bool has_daemon = false;
    std::string failure; // set once a run failed; the contender is skipped from then on
};

struct Limit {
    std::string label;
    rlim_t real = 0;
    rlim_t reported = 0; // 0: nothing simulated
};

struct Sample {
    double ret_ms = none;  // NaN: the command did not exit (it is the daemon)
    double run_ms = none;  // NaN: no daemon
    double rss_kib = none;
    double anon_kib = none; // RssAnon: the resident anonymous (private) memory
    double threads = none;
    bool returned_first = false; // the command exited before the daemon's code ran
};

struct Stats {
    double median = none, min = none, max = none;
    std::size_t n = 0;
};

Stats stats_of(std::vector<double> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
    Stats s;
    s.n = v.size();
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    const std::size_t mid = v.size() / 2;
    s.median = v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    s.min = v.front();
    s.max = v.back();
    return s;
}

std::vector<std::string> split(const std::string& line, char sep) {
    std::vector<std::string> out;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, sep)) out.push_back(field);
    return out;
}

std::vector<Contender> read_contenders(const std::string& path) {
    std::ifstream in(path);
    if (!in) die("cannot read " + path);
    std::vector<Contender> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto f = split(line, '\t');
        if (f.size() < 5) die("contender line needs KEY LABEL FLOOR NOTE PROGRAM...: " + line);
        Contender c;
        c.key = f[0];
        c.label = f[1];
        c.floor = f[2];
        c.note = f[3];
        c.argv.assign(f.begin() + 4, f.end());
        c.has_daemon = std::any_of(c.argv.begin(), c.argv.end(),
                                   [](const std::string& a) { return a.find("{fifo}") != std::string::npos; });
        out.push_back(std::move(c));
    }
    if (out.empty()) die("no contenders in " + path);
    return out;
}

Limit parse_limit(const std::string& spec) {
    const auto f = split(spec, ':');
    if (f.size() < 2 || f.size() > 3) die("--limit wants LABEL:REAL[:REPORTED], not " + spec);
    Limit l;
    l.label = f[0];
    l.real = static_cast<rlim_t>(std::stoull(f[1]));
    if (f.size() == 3) l.reported = static_cast<rlim_t>(std::stoull(f[2]));
    return l;
}

std::string substitute(std::string s, const std::string& key, const std::string& value) {
    for (std::size_t pos = 0; (pos = s.find(key, pos)) != std::string::npos; pos += value.size())
        s.replace(pos, key.size(), value);
    return s;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// VmRSS, RssAnon (KiB) and Threads of a live process.
void read_memory(pid_t pid, Sample& s) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::strtod(line.c_str() + 6, nullptr);
        if (line.rfind("RssAnon:", 0) == 0) s.anon_kib = std::strtod(line.c_str() + 8, nullptr);
        if (line.rfind("Threads:", 0) == 0) s.threads = std::strtod(line.c_str() + 8, nullptr);
    }
}

// Live processes whose command line mentions `marker` (the run directory):
// the processes of this run that are not (yet) our children.
std::vector<pid_t> processes_naming(const std::string& marker) {
    std::vector<pid_t> found;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return found;
    while (const dirent* e = ::readdir(proc)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || pid == ::getpid()) continue;
        std::string cmdline = read_text("/proc/" + std::string(e->d_name) + "/cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        if (cmdline.find(marker) != std::string::npos) found.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(proc);
    return found;
}

// Reaps children that exited; true when no child is left.
bool reap_children() {
    for (;;) {
        const pid_t p = ::waitpid(-1, nullptr, WNOHANG);
        if (p > 0) continue;
        return p < 0 && errno == ECHILD;
    }
}

// Waits until every process of the run is gone: SIGTERM was sent to the
// daemon already; stragglers get SIGTERM after 2 s and SIGKILL after 5 s.
// Returns false if some survived 10 s.
bool wait_run_gone(const std::string& marker) {
    const auto start = now_ns();
    bool termed = false;
    bool killed = false;
    for (;;) {
        const bool no_children = reap_children();
        const auto left = processes_naming(marker);
        if (no_children && left.empty()) return true;
        const double waited = static_cast<double>(now_ns() - start) / 1e9;
        if (waited > 10) return false;
        if ((waited > 2 && !termed) || (waited > 5 && !killed)) {
            const int sig = waited > 5 ? SIGKILL : SIGTERM;
            for (pid_t p : left) ::kill(p, sig);
            (sig == SIGKILL ? killed : termed) = true;
        }
        sleep_ms(1);
    }
}

struct Run {
    Sample sample;
    std::string error; // empty on success
};

class Harness {
public:
    Harness(fs::path work, std::string shim, int settle_ms)
        : work_(std::move(work)), shim_(std::move(shim)), settle_ms_(settle_ms) {
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string_view entry = *e;
            // A supervisor's socket must not receive our daemons' READY=1;
            // preloading is ours to decide.
            if (entry.rfind("NOTIFY_SOCKET=", 0) == 0 || entry.rfind("LD_PRELOAD=", 0) == 0 ||
                entry.rfind("DAEMONIKER_BENCH_NOFILE=", 0) == 0)
                continue;
            base_env_.emplace_back(entry);
        }
    }

    Run run(const Contender& c, const Limit& limit) {
        Run result;
        const fs::path dir = work_ / ("run-" + std::to_string(++counter_));
        const std::string marker = dir.string() + "/";
        fs::create_directory(dir);
        ::chmod(dir.c_str(), 0700);
        const std::string fifo_path = (dir / "stamp.fifo").string();
        const std::string log_path = (dir / "command.log").string();
        if (::mkfifo(fifo_path.c_str(), 0600) != 0) die("mkfifo: " + std::string(std::strerror(errno)));
        // Opened for reading and writing: there is always a writer, so poll()
        // waits for data instead of reporting a hang-up.
        const int fifo = ::open(fifo_path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
        const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fifo < 0 || log < 0 || null < 0) die("cannot open the run's files in " + dir.string());

        // Everything the child needs is prepared before vfork: it only calls
        // dup2, prlimit, execve and _exit.
        std::vector<std::string> args;
        for (const auto& a : c.argv)
            args.push_back(substitute(substitute(substitute(a, "{pid}", (dir / "daemon.pid").string()), "{fifo}", fifo_path),
                                      "{dir}", dir.string()));
        std::vector<std::string> env = base_env_;
        if (!shim_.empty()) env.push_back("LD_PRELOAD=" + shim_);
        if (limit.reported != 0) env.push_back("DAEMONIKER_BENCH_NOFILE=" + std::to_string(limit.reported));
        std::vector<char*> argv;
        argv.reserve(args.size() + 1);
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<char*> envp;
        envp.reserve(env.size() + 1);
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        const struct rlimit rl{limit.real, limit.real};
        const char* program = argv[0];

        // vfork, as posix_spawn does internally: the cheapest start, so the
        // harness adds as little as possible to every contender. The child
        // has its own descriptor table and limits (no CLONE_FILES, no
        // CLONE_THREAD) and touches no memory: dup2, prlimit, execve, _exit.
        const std::int64_t t0 = now_ns();
        const pid_t child = ::vfork(); // NOLINT(clang-analyzer-security.insecureAPI.vfork)
        if (child == 0) {
            // NOLINTBEGIN(clang-analyzer-unix.Vfork)
            ::dup2(null, 0);
            ::dup2(log, 1);
            ::dup2(log, 2);
            if (::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, nullptr) != 0) ::_exit(126);
            ::execve(program, argv.data(), envp.data());
            ::_exit(127);
            // NOLINTEND(clang-analyzer-unix.Vfork)
        }
        ::close(null);
        ::close(log);
        if (child < 0) die("vfork: " + std::string(std::strerror(errno)));
        const int child_fd = pidfd_open(child);
        if (child_fd < 0) die("pidfd_open: " + std::string(std::strerror(errno)));

        bool exited = false;
        std::optional<std::int64_t> exit_at;
        pid_t daemon = 0;
        std::int64_t daemon_at = 0;
        std::string buffer;
        const std::int64_t deadline = t0 + 30'000'000'000LL;
        for (;;) {
            const bool have_stamp = daemon != 0 || !c.has_daemon;
            if (have_stamp && (exited || daemon == child)) break;
            if (interrupted) {
                result.error = "interrupted";
                break;
            }
            const auto left_ms = (deadline - now_ns()) / 1000000;
            if (left_ms <= 0) {
                result.error = exited ? "no report from the daemon within 30 s" : "the command did not exit within 30 s";
                break;
            }
            pollfd fds[2] = {{fifo, POLLIN, 0}, {child_fd, POLLIN, 0}};
            const int ready = ::poll(fds, exited ? 1 : 2, static_cast<int>(left_ms));
            const std::int64_t t = now_ns();
            if (ready < 0) continue; // EINTR: looks at `interrupted`
            if (!exited && (fds[1].revents & POLLIN) != 0) {
                int status = 0;
                ::waitpid(child, &status, 0);
                exited = true;
                exit_at = t;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                    result.error = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                                     : "killed by signal " + std::to_string(WTERMSIG(status));
                    const std::string out = read_text(log_path);
                    if (!out.empty()) result.error += ": " + out.substr(0, 400);
                    break;
                }
            }
            if ((fds[0].revents & POLLIN) != 0) {
                char chunk[128];
                const auto n = ::read(fifo, chunk, sizeof chunk);
                if (n > 0) buffer.append(chunk, static_cast<std::size_t>(n));
                if (daemon == 0 && buffer.find('\n') != std::string::npos) {
                    char* end = nullptr;
                    const long p = std::strtol(buffer.c_str(), &end, 10);
                    char* end2 = nullptr;
                    const long long at = std::strtoll(end, &end2, 10);
                    if (p <= 0 || end2 == end || *end2 != '\n') {
                        result.error = "malformed report from the daemon: " + buffer;
                        break;
                    }
                    daemon = static_cast<pid_t>(p);
                    daemon_at = at;
                }
            }
        }
        ::close(child_fd);
        ::close(fifo);

        if (result.error.empty()) {
            Sample& s = result.sample;
            if (exit_at && daemon != child) s.ret_ms = static_cast<double>(*exit_at - t0) / 1e6;
            if (daemon != 0) {
                s.run_ms = static_cast<double>(daemon_at - t0) / 1e6;
                s.returned_first = exit_at && *exit_at < daemon_at;
                if (settle_ms_ > 0) sleep_ms(settle_ms_);
                read_memory(daemon, s);
            }
        }
        // Stop the daemon: its PID came from the daemon itself, and it does
        // not exit on its own, so the PID is still its own.
        if (daemon != 0) {
            const int fd = pidfd_open(daemon);
            if (fd >= 0) {
                ::syscall(SYS_pidfd_send_signal, fd, SIGTERM, nullptr, 0U);
                ::close(fd);
            }
        }
        if (!exited && daemon != child) ::kill(child, SIGKILL); // a command that hung: it is our child
        if (!wait_run_gone(marker)) std::fprintf(stderr, "start_latency: processes of %s survived SIGKILL\n", dir.c_str());
        std::error_code ec;
        fs::remove_all(dir, ec);
        return result;
    }

private:
    fs::path work_;
    std::string shim_;
    int settle_ms_;
    std::vector<std::string> base_env_;
    int counter_ = 0;
};

std::string fmt(double v, int decimals = 2) {
    if (std::isnan(v)) return "–";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string range(const Stats& s, int decimals = 2) {
    if (s.n == 0) return "–";
    return fmt(s.median, decimals) + " (" + fmt(s.min, decimals) + "–" + fmt(s.max, decimals) + ")";
}

struct Summary {
    Stats ret, run, rss, anon, threads;
    std::size_t first = 0, n = 0;
};

Summary summarize(const std::vector<Sample>& samples) {
    Summary s;
    std::vector<double> ret, run, rss, anon, threads;
    for (const auto& x : samples) {
        ret.push_back(x.ret_ms);
        run.push_back(x.run_ms);
        rss.push_back(x.rss_kib);
        anon.push_back(x.anon_kib);
        threads.push_back(x.threads);
        if (x.returned_first) ++s.first;
    }
    s.ret = stats_of(ret);
    s.run = stats_of(run);
    s.rss = stats_of(rss);
    s.anon = stats_of(anon);
    s.threads = stats_of(threads);
    s.n = samples.size();
    return s;
}

} // namespace

int main(int argc, char** argv) {
    std::string contenders_path, shim, table = "start", tsv_path;
    fs::path work = fs::temp_directory_path();
    std::vector<Limit> limits;
    int rounds = 21;
    int warmup = 1;
    int settle_ms = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) die(a + " needs a value");
            return argv[++i];
        };
        if (a == "--contenders") contenders_path = value();
        else if (a == "--limit") limits.push_back(parse_limit(value()));
        else if (a == "--rounds") rounds = std::stoi(value());
        else if (a == "--warmup") warmup = std::stoi(value());
        else if (a == "--shim") shim = value();
        else if (a == "--settle-ms") settle_ms = std::stoi(value());
        else if (a == "--table") table = value();
        else if (a == "--tsv") tsv_path = value();
        else if (a == "--work") work = value();
        else die("unknown argument " + a + " (see the comment at the top of bench/start_latency.cpp)");
    }
    if (contenders_path.empty() || limits.empty()) die("--contenders and --limit are required");
    if (rounds < 1 || warmup < 0) die("--rounds must be positive, --warmup not negative");
    if (table != "start" && table != "memory") die("--table is start or memory");
    auto contenders = read_contenders(contenders_path);

    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGHUP, &sa, nullptr);
    // Orphaned daemons become our children: we reap them and can tell when
    // a run has left nothing behind.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) die("cannot become a child subreaper");

    char tmpl[] = "daemoniker-start-XXXXXX";
    const std::string work_tmpl = (work / tmpl).string();
    std::vector<char> buf(work_tmpl.begin(), work_tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) die("mkdtemp in " + work.string() + ": " + std::strerror(errno));
    const fs::path work_dir = buf.data();
    Harness harness(work_dir, shim, settle_ms);

    // samples[limit][contender]
    std::vector<std::vector<std::vector<Sample>>> samples(limits.size(), std::vector<std::vector<Sample>>(contenders.size()));
    std::vector<std::pair<std::size_t, std::size_t>> order;
    for (std::size_t l = 0; l < limits.size(); ++l)
        for (std::size_t c = 0; c < contenders.size(); ++c) order.emplace_back(l, c);

    for (int r = -warmup; r < rounds && !interrupted; ++r) {
        const std::size_t shift = static_cast<std::size_t>(r + warmup) % order.size();
        for (std::size_t k = 0; k < order.size() && !interrupted; ++k) {
            const auto [l, c] = order[(k + shift) % order.size()];
            Contender& who = contenders[c];
            if (!who.failure.empty()) continue;
            Run result = harness.run(who, limits[l]);
            if (!result.error.empty()) {
                if (!interrupted) {
                    who.failure = result.error + " (limit " + limits[l].label + ")";
                    std::fprintf(stderr, "start_latency: %s failed: %s\n", who.label.c_str(), who.failure.c_str());
                }
                continue;
            }
            if (r >= 0) samples[l][c].push_back(result.sample);
        }
        std::fprintf(stderr, "\rstart_latency: round %d/%d", r + 1 > 0 ? r + 1 : 0, rounds);
    }
    std::fprintf(stderr, "\n");
    std::error_code ec;
    fs::remove_all(work_dir, ec);
    if (interrupted) {
        std::fprintf(stderr, "start_latency: interrupted\n");
        return 130;
    }

    std::map<std::string, std::size_t> index;
    for (std::size_t c = 0; c < contenders.size(); ++c) index[contenders[c].key] = c;
    std::vector<std::vector<Summary>> sum(limits.size());
    for (std::size_t l = 0; l < limits.size(); ++l)
        for (std::size_t c = 0; c < contenders.size(); ++c) sum[l].push_back(summarize(samples[l][c]));

    std::FILE* tsv = tsv_path.empty() ? nullptr : std::fopen(tsv_path.c_str(), "w");
    if (!tsv_path.empty() && tsv == nullptr) die("cannot write " + tsv_path);
    if (tsv != nullptr)
        std::fprintf(tsv, "key\tlabel\tlimit\tn\treturns_median\treturns_min\treturns_max\truns_median\truns_min\truns_max\t"
                          "rss_kib_median\trss_kib_min\trss_kib_max\tanon_kib_median\tthreads_median\treturned_first\tfailure\n");

    for (std::size_t l = 0; l < limits.size(); ++l) {
        const Limit& lim = limits[l];
        if (table == "start") {
            std::printf("\n#### Descriptor limit %s%s\n\n", lim.label.c_str(),
                        lim.reported != 0 ? " (simulated)" : "");
            std::printf("| contender | returns, ms: median (min–max) | daemon runs, ms: median (min–max) | × floor: returns / runs "
                        "| daemon RSS, KiB | returns before the daemon runs? |\n");
            std::printf("|---|---|---|---|---|---|\n");
        } else {
            std::printf("\n| program | resident (VmRSS), KiB: median (min–max) | of it anonymous (RssAnon), KiB | threads | "
                        "over the baseline: resident / anonymous / threads |\n");
            std::printf("|---|---|---|---|---|\n");
        }
        for (std::size_t c = 0; c < contenders.size(); ++c) {
            const Contender& who = contenders[c];
            const Summary& s = sum[l][c];
            const Summary* floor = nullptr;
            if (auto it = index.find(who.floor); it != index.end() && it->second != c) floor = &sum[l][it->second];
            if (tsv != nullptr)
                std::fprintf(tsv, "%s\t%s\t%s\t%zu\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%zu\t%s\n", who.key.c_str(),
                             who.label.c_str(), lim.label.c_str(), s.n, fmt(s.ret.median, 4).c_str(), fmt(s.ret.min, 4).c_str(),
                             fmt(s.ret.max, 4).c_str(), fmt(s.run.median, 4).c_str(), fmt(s.run.min, 4).c_str(),
                             fmt(s.run.max, 4).c_str(), fmt(s.rss.median, 0).c_str(), fmt(s.rss.min, 0).c_str(),
                             fmt(s.rss.max, 0).c_str(), fmt(s.anon.median, 0).c_str(), fmt(s.threads.median, 0).c_str(), s.first,
                             who.failure.empty() ? "-" : who.failure.c_str());
            if (!who.failure.empty() && s.n == 0) {
                std::printf("| %s | failed: %s |%s\n", who.label.c_str(), who.failure.c_str(),
                            table == "start" ? " | | | |" : " | | |");
                continue;
            }
            if (table == "start") {
                std::string ratio = "floor";
                if (floor != nullptr)
                    ratio = fmt(s.ret.median / floor->ret.median) + " / " + fmt(s.run.median / floor->run.median);
                std::string first = who.note;
                if (who.has_daemon) first += " (" + std::to_string(s.first) + "/" + std::to_string(s.n) + " runs)";
                std::printf("| %s | %s | %s | %s | %s | %s |\n", who.label.c_str(), range(s.ret).c_str(), range(s.run).c_str(),
                            ratio.c_str(), fmt(s.rss.median, 0).c_str(), first.c_str());
            } else {
                std::string over = "baseline";
                if (floor != nullptr) {
                    auto signed_kib = [](double v) { return (v >= 0 ? "+" : "") + fmt(v, 0) + " KiB"; };
                    const double extra_threads = s.threads.median - floor->threads.median;
                    over = signed_kib(s.rss.median - floor->rss.median) + " / " +
                           signed_kib(s.anon.median - floor->anon.median) + " / " + (extra_threads >= 0 ? "+" : "") +
                           fmt(extra_threads, 0);
                }
                std::printf("| %s | %s | %s | %s | %s |\n", who.label.c_str(), range(s.rss, 0).c_str(),
                            fmt(s.anon.median, 0).c_str(), fmt(s.threads.median, 0).c_str(), over.c_str());
            }
        }
    }
    if (table == "start" && limits.size() >= 2) {
        // How each contender's time changes with the limit: the last limit
        // against the first, on the daemon's time (the return for commands
        // without a daemon).
        const std::size_t lo = 0;
        const std::size_t hi = limits.size() - 1;
        std::printf("\n#### Effect of the descriptor limit\n\n");
        std::printf("| contender | daemon runs at %s, ms | at %s, ms | ratio | returns: ratio |\n", limits[lo].label.c_str(),
                    limits[hi].label.c_str());
        std::printf("|---|---|---|---|---|\n");
        for (std::size_t c = 0; c < contenders.size(); ++c) {
            const Summary& a = sum[lo][c];
            const Summary& b = sum[hi][c];
            if (a.n == 0 || b.n == 0) continue;
            const Stats& x = contenders[c].has_daemon ? a.run : a.ret;
            const Stats& y = contenders[c].has_daemon ? b.run : b.ret;
            std::printf("| %s | %s | %s | %s | %s |\n", contenders[c].label.c_str(), fmt(x.median).c_str(),
                        fmt(y.median).c_str(), fmt(y.median / x.median).c_str(), fmt(b.ret.median / a.ret.median).c_str());
        }
    }
    if (tsv != nullptr) std::fclose(tsv);
    bool any_failed = false;
    for (const auto& c : contenders) any_failed = any_failed || !c.failure.empty();
    return any_failed ? 2 : 0;
}
