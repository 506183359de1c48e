// The POSIX signal table, plus the names Linux and the BSDs add where the
// system defines them.

#include "signal_names.hpp"

#include <charconv>
#include <csignal>
#include <string>

namespace daemoniker::cli {
namespace {

struct Entry {
    const char* name;
    int number;
};

// Aliases follow the name they alias, so that a number prints as the first.
const Entry table[] = {
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

bool valid(int number) noexcept {
    if (number <= 0 || number >= NSIG) return false;
    sigset_t probe;
    sigemptyset(&probe);
    return sigaddset(&probe, number) == 0;
}

// Plain decimal digits, leading zeros allowed ("015", as parse_signal() takes them).
std::optional<int> decimal(std::string_view text) {
    if (text.empty()) return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    while (text.size() > 1 && text[0] == '0') text.remove_prefix(1);
    if (text.size() > 9) return std::nullopt; // no signal number is that large
    int value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

char upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool equal_upper(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (upper(a[i]) != b[i]) return false;
    return true;
}

} // namespace

std::optional<int> parse_signal_name(std::string_view text) {
    if (auto n = decimal(text)) return valid(*n) ? n : std::nullopt;
    if (text.size() > 3 && equal_upper(text.substr(0, 3), "SIG")) text.remove_prefix(3);
    for (const Entry& e : table)
        if (equal_upper(text, e.name)) return e.number;
#if defined(SIGRTMIN) && defined(SIGRTMAX)
    // RTMIN, RTMIN+n, RTMAX, RTMAX-n (the values are only known at run time).
    for (const bool min : {true, false}) {
        const std::string_view base = min ? "RTMIN" : "RTMAX";
        if (text.size() < base.size() || !equal_upper(text.substr(0, base.size()), base)) continue;
        const auto rest = text.substr(base.size());
        int number = min ? SIGRTMIN : SIGRTMAX;
        if (!rest.empty()) {
            const auto offset = decimal(rest.substr(1));
            if (rest[0] != (min ? '+' : '-') || !offset) return std::nullopt;
            number = min ? number + *offset : number - *offset;
        }
        if (number < SIGRTMIN || number > SIGRTMAX || !valid(number)) return std::nullopt;
        return number;
    }
#endif
    return std::nullopt;
}

std::string signal_name(int number) {
    for (const Entry& e : table)
        if (e.number == number) return std::string("SIG") + e.name;
#if defined(SIGRTMIN) && defined(SIGRTMAX)
    if (number == SIGRTMIN) return "SIGRTMIN";
    if (number > SIGRTMIN && number <= SIGRTMAX) return "SIGRTMIN+" + std::to_string(number - SIGRTMIN);
#endif
    return "signal " + std::to_string(number);
}

} // namespace daemoniker::cli
