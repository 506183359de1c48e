#include "cli11.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <utility>

namespace daemoniker::cli {
namespace {

// An argument cannot contain NUL: one appended to a bracketed argument keeps
// CLI11 from taking it apart, and each option drops it again from what it
// received (CLI11 applies transforms after collecting, before storing).
constexpr char mark = '\0';

void unmark_options(CLI::App& app) {
    for (CLI::Option* option : app.get_options())
        option->transform(
            [](std::string value) {
                if (!value.empty() && value.back() == mark) value.pop_back();
                return value;
            },
            "", "");
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) unmark_options(*sub);
}

} // namespace

void parse_verbatim(CLI::App& app, std::vector<std::string> args) {
    // "[a,b]", and "--name=[a,b]" or "-x[a,b]" whose value is one; and
    // "--name=", which CLI11 reads as "--name" followed by the next argument
    // as its value ("--stdout=$LOG" with LOG empty would send the output to
    // the program's file): marked, its value is the empty string.
    for (auto& arg : args)
        if ((!arg.empty() && arg.back() == ']' && arg.find('[') != std::string::npos) ||
            (arg.size() > 3 && arg.rfind("--", 0) == 0 && arg.back() == '=' && arg.find('=') == arg.size() - 1))
            arg.push_back(mark);
    unmark_options(app);
    // CLI11 takes the arguments last-first when given as a vector.
    std::reverse(args.begin(), args.end());
    app.parse(std::move(args));
}

std::string unmarked(std::string text) {
    std::erase(text, mark);
    return text;
}

} // namespace daemoniker::cli
