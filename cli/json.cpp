#include "json.hpp"

#include "common.hpp"

namespace daemoniker::cli {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned code) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += hex_digits[(code >> shift) & 0xfu];
}

} // namespace

std::string json_string(std::string_view text) {
    std::string out = "\"";
    out.reserve(text.size() + 2);
    while (!text.empty()) {
        const std::size_t length = utf8_sequence(text);
        const auto lead = static_cast<unsigned char>(text[0]);
        if (length == 0) {
            append_u_escape(out, 0xfffd);
            text.remove_prefix(1);
            continue;
        }
        if (length == 2 && lead == 0xc2 && static_cast<unsigned char>(text[1]) < 0xa0) {
            // A C1 control (U+0080..U+009F): valid JSON as it is, but a
            // terminal showing the output may act on it.
            append_u_escape(out, static_cast<unsigned char>(text[1]));
        } else if (length > 1) {
            out += text.substr(0, length);
        } else if (lead == '"' || lead == '\\') {
            out += '\\';
            out += static_cast<char>(lead);
        } else if (lead == '\n') {
            out += "\\n";
        } else if (lead == '\t') {
            out += "\\t";
        } else if (lead == '\r') {
            out += "\\r";
        } else if (lead < 0x20 || lead == 0x7f) {
            append_u_escape(out, lead);
        } else {
            out += static_cast<char>(lead);
        }
        text.remove_prefix(length);
    }
    out += '"';
    return out;
}

bool is_utf8(std::string_view text) noexcept {
    while (!text.empty()) {
        const std::size_t length = utf8_sequence(text);
        if (length == 0) return false;
        text.remove_prefix(length);
    }
    return true;
}

std::string hex_bytes(std::string_view text) {
    std::string out;
    out.reserve(2 * text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        out += hex_digits[byte >> 4];
        out += hex_digits[byte & 0xfu];
    }
    return out;
}

} // namespace daemoniker::cli
