#pragma once
// JSON text for the command's machine-readable output (status --json).

#include <string>
#include <string_view>

namespace daemoniker::cli {

/// `text` as a JSON string literal, quotes included, that every JSON parser
/// accepts: '"', '\\' and every control character (C0, DEL, C1) are
/// escaped, and each byte that is not part of valid UTF-8 becomes U+FFFD,
/// the replacement character (a JSON text is Unicode; file names are bytes).
std::string json_string(std::string_view text);

/// Whether `text` is valid UTF-8 throughout (json_string() then keeps it whole).
bool is_utf8(std::string_view text) noexcept;

/// The bytes of `text` in lower-case hex, two digits each.
std::string hex_bytes(std::string_view text);

} // namespace daemoniker::cli
