// The decoder of preserved arguments (codec.hpp) over arbitrary bytes: it
// may only ever throw DecodeError; what it accepts must survive a second
// encode/decode unchanged (a fixed point), and the canonical encoding is
// never longer than the input (no amplification).
//
// The first byte picks a layout: every type the codec supports appears in
// one of them, as the arguments of daemonize() would (decode<Ts...>).

#include "codec_layouts.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace {

using namespace fuzz;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "codec fuzzer: %s\n", what);
    std::abort();
}

template <class... Ts>
std::tuple<Ts...> decode_as(std::tuple<Ts...>*, std::string_view bytes) {
    return daemoniker::decode<Ts...>(bytes);
}
template <class... Ts>
std::string encode_all(const std::tuple<Ts...>& t) {
    return std::apply([](const auto&... v) { return daemoniker::encode(v...); }, t);
}

template <class Tuple>
void check(std::string_view bytes) {
    Tuple first;
    try {
        first = decode_as(static_cast<Tuple*>(nullptr), bytes);
    } catch (const daemoniker::DecodeError&) {
        return; // the one way to refuse input
    }
    const std::string canonical = encode_all(first);
    if (canonical.size() > bytes.size()) fail("the canonical encoding is longer than the input");
    Tuple second;
    try {
        second = decode_as(static_cast<Tuple*>(nullptr), canonical);
    } catch (const daemoniker::DecodeError&) {
        fail("an encoding made by encode() does not decode");
    }
    if constexpr (std::is_same_v<Tuple, Unordered>) {
        if (second != first) fail("the value changed through encode/decode");
    } else {
        // Byte equality also compares floating-point values bit for bit (NaNs included).
        if (encode_all(second) != canonical) fail("encode/decode is not a fixed point");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 6) {
    case 0: check<Scalars>(bytes); break;
    case 1: check<Texts>(bytes); break;
    case 2: check<Containers>(bytes); break;
    case 3: check<Nested>(bytes); break;
    case 4: check<Everyday>(bytes); break;
    default: check<Unordered>(bytes); break;
    }
    return 0;
}
