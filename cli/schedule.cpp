#include "schedule.hpp"

#include "common.hpp"
#include "signal_names.hpp"

#include <csignal>

namespace daemoniker::cli {

Schedule default_schedule(int signal) {
    using namespace std::chrono_literals;
    return {{{ScheduleItem::Kind::signal, signal, {}},
             {ScheduleItem::Kind::wait, 0, 30s},
             {ScheduleItem::Kind::signal, kill_signal, {}},
             {ScheduleItem::Kind::wait, 0, 5s}},
            std::nullopt};
}

std::optional<Schedule> parse_schedule(std::string_view text, int signal, std::string& error) {
    if (text.find('/') == std::string_view::npos) {
        const auto wait = parse_seconds(text);
        if (!wait) {
            error = "'" + std::string(text) + "' is neither seconds nor a schedule such as TERM/30/KILL/5";
            return std::nullopt;
        }
        return Schedule{{{ScheduleItem::Kind::signal, signal, {}},
                         {ScheduleItem::Kind::wait, 0, *wait},
                         {ScheduleItem::Kind::signal, kill_signal, {}},
                         {ScheduleItem::Kind::wait, 0, *wait}},
                        std::nullopt};
    }
    Schedule s;
    std::string_view rest = text;
    for (;;) {
        const auto slash = rest.find('/');
        const auto item = rest.substr(0, slash);
        if (item.empty()) {
            error = "empty item in schedule '" + std::string(text) + "'";
            return std::nullopt;
        }
        if (item == "forever") {
            if (s.repeat_from) {
                error = "'forever' appears twice in schedule '" + std::string(text) + "'";
                return std::nullopt;
            }
            s.repeat_from = s.items.size();
        } else if (item[0] >= '0' && item[0] <= '9') {
            const auto wait = parse_seconds(item);
            if (!wait) {
                error = "'" + std::string(item) + "' is not a number of seconds";
                return std::nullopt;
            }
            s.items.push_back({ScheduleItem::Kind::wait, 0, *wait});
        } else {
            const auto name = item[0] == '-' ? item.substr(1) : item;
            const auto number = parse_signal_name(name);
            if (!number) {
                error = "'" + std::string(item) + "' is not a signal (in schedule '" + std::string(text) + "')";
                return std::nullopt;
            }
            s.items.push_back({ScheduleItem::Kind::signal, *number, {}});
        }
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    bool has_signal = false;
    for (const auto& i : s.items) has_signal = has_signal || i.kind == ScheduleItem::Kind::signal;
    if (!has_signal) {
        error = "schedule '" + std::string(text) + "' sends no signal";
        return std::nullopt;
    }
    if (s.repeat_from) {
        if (*s.repeat_from == s.items.size()) {
            error = "'forever' is last in schedule '" + std::string(text) + "': nothing to repeat";
            return std::nullopt;
        }
        bool waits = false;
        for (std::size_t i = *s.repeat_from; i < s.items.size(); ++i)
            waits = waits || (s.items[i].kind == ScheduleItem::Kind::wait && s.items[i].wait.count() > 0);
        if (!waits) {
            error = "the part of schedule '" + std::string(text) + "' after 'forever' never waits";
            return std::nullopt;
        }
    }
    return s;
}

std::string to_string(const Schedule& schedule) {
    std::string out;
    for (std::size_t i = 0; i < schedule.items.size(); ++i) {
        if (!out.empty()) out += '/';
        if (schedule.repeat_from == i) out += "forever/";
        const auto& item = schedule.items[i];
        if (item.kind == ScheduleItem::Kind::signal) {
            out += signal_name(item.signal);
        } else {
            const auto ms = item.wait.count();
            out += std::to_string(ms / 1000);
            if (ms % 1000 != 0) {
                auto frac = std::to_string(1000 + ms % 1000).substr(1);
                while (frac.back() == '0') frac.pop_back();
                out += "." + frac;
            }
        }
    }
    return out;
}

} // namespace daemoniker::cli
