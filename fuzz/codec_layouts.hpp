#pragma once
// The layouts the codec fuzzer decodes (selected by the input's first byte),
// shared with the seed generator.

#include <daemoniker/codec.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace fuzz {
enum class Color : std::uint8_t { red, green, blue };
enum Level : int { low = -1, high = 1 };
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    std::optional<std::filesystem::path> socket;
};
struct Empty {};
} // namespace fuzz

template <>
struct daemoniker::codec<fuzz::Endpoint>
    : daemoniker::fields_codec<fuzz::Endpoint, &fuzz::Endpoint::host, &fuzz::Endpoint::port, &fuzz::Endpoint::socket> {};
template <>
struct daemoniker::codec<fuzz::Empty> : daemoniker::fields_codec<fuzz::Empty> {};

namespace fuzz {

// Scalars, strings, paths and the ordered containers.
using Scalars = std::tuple<bool, std::int8_t, std::uint8_t, std::int16_t, std::uint16_t, std::int32_t, std::uint32_t,
                           std::int64_t, std::uint64_t, char, wchar_t, char16_t, char32_t, fuzz::Color, fuzz::Level,
                           float, double, std::chrono::milliseconds, std::chrono::duration<double>>;
using Texts = std::tuple<std::string, std::wstring, std::u8string, std::u16string, std::u32string,
                         std::filesystem::path, std::vector<std::filesystem::path>>;
using Containers =
    std::tuple<std::vector<std::int32_t>, std::vector<bool>, std::deque<std::string>, std::list<double>,
               std::array<std::uint16_t, 3>, std::array<int, 0>, std::map<std::string, std::vector<std::int64_t>>,
               std::set<std::uint32_t>, std::optional<std::string>, std::pair<std::int32_t, std::string>,
               std::tuple<>, std::tuple<std::int8_t, std::string>, std::variant<std::monostate, std::int32_t, std::string, double>,
               std::monostate, fuzz::Endpoint, fuzz::Empty>;
using Nested = std::tuple<std::vector<std::optional<std::map<std::int32_t, std::string>>>,
                          std::vector<std::vector<std::variant<std::monostate, std::string, std::vector<std::int64_t>>>>,
                          std::optional<std::optional<std::vector<fuzz::Endpoint>>>>;
// What the helper of the tests preserves: the everyday case.
using Everyday = std::tuple<int, std::string, std::vector<std::string>>;
// Unordered containers: iteration order is not part of the value, so these
// are compared by value instead of by encoding.
using Unordered = std::tuple<std::unordered_map<std::int32_t, std::string>, std::unordered_set<std::string>,
                             std::unordered_map<std::string, std::vector<std::uint8_t>>>;

} // namespace fuzz
