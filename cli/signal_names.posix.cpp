// The POSIX signal table, plus the names Linux and the BSDs add where the
// system defines them.

#include "signal_names.hpp"

#include "daemoniker_internal.hpp" // posix_features.hpp: DAEMONIKER_NSIG

#include <csignal>
#include <string>

namespace daemoniker::cli {
namespace {

// Aliases follow the name they alias, so that a number prints as the first.
const SignalEntry table[] = {
    {"HUP", SIGHUP},
    {"INT", SIGINT},
    {"QUIT", SIGQUIT},
    {"ILL", SIGILL},
    {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},
#ifdef SIGIOT
    {"IOT", SIGIOT},
#endif
    {"BUS", SIGBUS},
    {"FPE", SIGFPE},
    {"KILL", SIGKILL},
    {"USR1", SIGUSR1},
    {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},
    {"ALRM", SIGALRM},
    {"TERM", SIGTERM},
#ifdef SIGSTKFLT
    {"STKFLT", SIGSTKFLT},
#endif
    {"CHLD", SIGCHLD},
#ifdef SIGCLD
    {"CLD", SIGCLD},
#endif
    {"CONT", SIGCONT},
    {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},
    {"URG", SIGURG},
    {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},
#ifdef SIGWINCH
    {"WINCH", SIGWINCH},
#endif
#ifdef SIGIO
    {"IO", SIGIO},
#endif
#ifdef SIGPOLL
    {"POLL", SIGPOLL},
#endif
#ifdef SIGPWR
    {"PWR", SIGPWR},
#endif
#ifdef SIGINFO
    {"INFO", SIGINFO},
#endif
#ifdef SIGEMT
    {"EMT", SIGEMT},
#endif
    {"SYS", SIGSYS},
};

} // namespace

std::span<const SignalEntry> signal_table() noexcept { return table; }

bool is_signal_number(int number) noexcept {
    if (number <= 0 || number >= DAEMONIKER_NSIG) return false;
    sigset_t probe;
    sigemptyset(&probe);
    return sigaddset(&probe, number) == 0;
}

std::optional<int> parse_realtime_signal(std::string_view text) {
#if defined(SIGRTMIN) && defined(SIGRTMAX)
    // RTMIN, RTMIN+n, RTMAX, RTMAX-n (the values are only known at run time).
    for (const bool min : {true, false}) {
        const std::string_view base = min ? "RTMIN" : "RTMAX";
        if (text.size() < base.size() || !equal_upper(text.substr(0, base.size()), base)) continue;
        const auto rest = text.substr(base.size());
        int number = min ? SIGRTMIN : SIGRTMAX;
        if (!rest.empty()) {
            const auto offset = parse_decimal(rest.substr(1));
            if (rest[0] != (min ? '+' : '-') || !offset) return std::nullopt;
            number = min ? number + *offset : number - *offset;
        }
        if (number < SIGRTMIN || number > SIGRTMAX || !is_signal_number(number)) return std::nullopt;
        return number;
    }
#else
    (void)text;
#endif
    return std::nullopt;
}

std::optional<std::string> realtime_signal_name(int number) {
#if defined(SIGRTMIN) && defined(SIGRTMAX)
    if (number == SIGRTMIN) return "SIGRTMIN";
    if (number > SIGRTMIN && number <= SIGRTMAX) return "SIGRTMIN+" + std::to_string(number - SIGRTMIN);
#else
    (void)number;
#endif
    return std::nullopt;
}

} // namespace daemoniker::cli
