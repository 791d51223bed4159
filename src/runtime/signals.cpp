#include "runtime/signals.h"

#include <signal.h>

#include <optional>
#include <string>

#include "base/parse_int.h"

namespace berth::runtime {

namespace {

struct SignalName {
    std::string_view name;
    int number;
};

constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"IOT", SIGIOT},   {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},  {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

}  // namespace

Result<int> parse_signal(std::string_view text) {
    auto invalid = [&] {
        return fail(ErrorKind::InvalidArgument, "unknown signal \"" + std::string(text) + "\"");
    };
    if (text.empty()) return invalid();
    if (auto n = parse_int<int>(text)) {
        if (*n <= 0 || *n > SIGRTMAX) return invalid();
        return *n;
    }
    std::string upper;
    for (char c : text)
        upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    std::string_view name = upper;
    if (name.starts_with("SIG")) name.remove_prefix(3);
    for (const auto& s : kSignals)
        if (s.name == name) return s.number;
    if (name.starts_with("RTMIN") || name.starts_with("RTMAX")) {
        bool from_min = name.starts_with("RTMIN");
        std::string_view rest = name.substr(5);
        int offset = 0;
        if (!rest.empty()) {
            if (rest.front() != (from_min ? '+' : '-')) return invalid();
            auto n = parse_int<int>(rest.substr(1));
            // Bounded before the arithmetic below, which could overflow int otherwise.
            if (!n || *n < 0 || *n > SIGRTMAX - SIGRTMIN) return invalid();
            offset = *n;
        }
        int sig = from_min ? SIGRTMIN + offset : SIGRTMAX - offset;
        if (sig < SIGRTMIN || sig > SIGRTMAX) return invalid();
        return sig;
    }
    return invalid();
}

}  // namespace berth::runtime
