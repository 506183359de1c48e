// --env-file: systemd's EnvironmentFile= format, as a state machine over the
// characters (systemd parses it the same way), so that a value spanning lines
// and a line continued by a backslash read as they do under systemd.

#include "env_file.hpp"

#include "command_line.hpp"
#include "common.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace daemoniker::cli {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool valid_name(const std::string& name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

std::string shown(const std::string& name) { return "'" + escape_controls(name) + "'"; }

} // namespace

std::vector<std::string> parse_env_file(std::string_view text, const std::string& origin) {
    enum class State { pre_key, key, pre_value, value, value_escape, single_quote, double_quote, double_escape, comment };
    std::vector<std::string> entries;
    State state = State::pre_key;
    std::string key;
    std::string value;
    std::size_t keep = 0;   // the value's length without its trailing unquoted whitespace
    std::size_t line = 1;   // the current line
    std::size_t start = 1;  // the line the entry began on
    auto fail = [&](std::size_t where, const std::string& why) -> void {
        throw Failure(exit_status::failed, "--env-file: " + origin + ":" + std::to_string(where) + ": " + why);
    };
    auto finish = [&] {
        while (!key.empty() && blank(key.back())) key.pop_back();
        if (!valid_name(key)) fail(start, shown(key) + " is not a variable name (letters, digits, '_'; no digit first)");
        value.resize(keep);
        entries.push_back(key + "=" + value);
        key.clear();
        value.clear();
        keep = 0;
    };
    auto append = [&](char c, bool protect) {
        value += c;
        if (protect) keep = value.size();
    };
    for (const char c : text) {
        if (c == '\0') fail(line, "a NUL character");
        switch (state) {
        case State::pre_key:
            if (c == '#' || c == ';') {
                state = State::comment;
            } else if (c == '=') { // no name: refused at the line's end
                state = State::pre_value;
                start = line;
                key.clear();
            } else if (c != '\n' && !blank(c)) {
                state = State::key;
                start = line;
                key = c;
            }
            break;
        case State::key:
            if (c == '\n') { // no '=': ignored, as systemd does
                state = State::pre_key;
                key.clear();
            } else if (c == '=') {
                state = State::pre_value;
            } else {
                key += c;
            }
            break;
        case State::pre_value:
            if (c == '\n') {
                finish();
                state = State::pre_key;
            } else if (c == '\'') {
                state = State::single_quote;
            } else if (c == '"') {
                state = State::double_quote;
            } else if (c == '\\') {
                state = State::value_escape;
            } else if (!blank(c)) {
                state = State::value;
                append(c, true);
            }
            break;
        case State::value:
            if (c == '\n') {
                finish();
                state = State::pre_key;
            } else if (c == '\\') {
                state = State::value_escape;
            } else {
                append(c, !blank(c));
            }
            break;
        case State::value_escape:
            state = State::value;
            if (c != '\n') append(c, true); // a backslash-newline continues the line
            break;
        case State::single_quote:
            if (c == '\'') {
                keep = value.size();
                state = State::pre_value;
            } else {
                append(c, true);
            }
            break;
        case State::double_quote:
            if (c == '"') {
                keep = value.size();
                state = State::pre_value;
            } else if (c == '\\') {
                state = State::double_escape;
            } else {
                append(c, true);
            }
            break;
        case State::double_escape:
            state = State::double_quote;
            if (c == '"' || c == '\\' || c == '`' || c == '$') {
                append(c, true);
            } else if (c != '\n') {
                append('\\', true);
                append(c, true);
            }
            break;
        case State::comment:
            if (c == '\n') state = State::pre_key;
            break;
        }
        if (c == '\n') ++line;
    }
    switch (state) {
    case State::single_quote:
    case State::double_quote:
    case State::double_escape: fail(start, "the quote of " + shown(key) + "'s value is never closed"); break;
    case State::pre_value:
    case State::value:
    case State::value_escape: finish(); break;
    case State::pre_key:
    case State::key:
    case State::comment: break;
    }
    return entries;
}

std::vector<std::string> read_env_file(const std::string& argument) {
    const bool optional = !argument.empty() && argument[0] == '-';
    const std::string path = optional ? argument.substr(1) : argument;
    if (path.empty()) throw UsageError("--env-file: the path is empty");
    std::error_code ec;
    if (std::filesystem::is_directory(path_arg(path), ec))
        throw Failure(exit_status::failed, "--env-file: '" + path + "' is a directory, not a file");
    std::ifstream in(path_arg(path), std::ios::binary);
    if (!in) {
        const int e = errno;
        if (optional && e == ENOENT) return {};
        throw Failure(exit_status::failed, "--env-file: cannot read '" + path + "': " + std::error_code(e, std::system_category()).message());
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Failure(exit_status::failed, "--env-file: cannot read '" + path + "'");
    return parse_env_file(text.str(), path);
}

} // namespace daemoniker::cli
