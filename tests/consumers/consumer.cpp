// A program a user of the installed library would write: it checks a PID
// file, names a signal and round-trips a preserved argument. The consumer
// tests build it four ways (find_package, add_subdirectory, FetchContent,
// pkg-config) and compare its output.
#include <daemoniker/daemoniker.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    // Never run by the tests (no third argument), but linked: the templates
    // reach the library through its one exported daemonization entry point.
    if (argc > 2) {
        const auto [port] = daemoniker::daemonize_or_throw(argv[1], {.chdir = "/"}, 8080);
        daemoniker::Daemonizer daemonizer;
        (void)daemonizer(argv[2], {}, port);
    }
    const auto info = daemoniker::inspect_pid_file(argc > 1 ? argv[1] : "/nonexistent/consumer.pid");
    const auto signal = daemoniker::parse_signal("term");
    const auto [answer] = daemoniker::decode<int>(daemoniker::encode(42));
    try {
        daemoniker::send("/nonexistent/consumer.pid", daemoniker::Signal::sigterm);
    } catch (const daemoniker::SignalError& e) { // an exported exception type crosses the library boundary
        std::printf("refused: %s\n", e.code() == daemoniker::errc::not_running ? "not running" : e.what());
    }
    std::printf("%s %s %d %s\n", info.state == daemoniker::PidFileState::absent ? "absent" : "present",
                std::string(daemoniker::to_string(*signal)).c_str(), answer, daemoniker::version_string);
    return 0;
}
