#pragma once
/// \file
/// The built-in codecs: daemoniker::codec<T> for the standard types that
/// codec.hpp lists. Included by codec.hpp; nothing here is called directly,
/// and the encoding may change in any release (parent and daemon are always
/// the same executable).

#include <daemoniker/codec.hpp>

#include <array>
#include <bit>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace daemoniker {

// ---- scalars ---------------------------------------------------------------

template <>
struct codec<bool> {
    static void encode(Encoder& e, bool v) { e.put_varint(v ? 1 : 0); }
    static bool decode(Decoder& d) {
        const auto v = d.get_varint();
        if (v > 1) d.fail("bool is neither 0 nor 1");
        return v == 1;
    }
};

template <class T>
    requires(std::integral<T> && !std::same_as<T, bool>)
struct codec<T> {
    static void encode(Encoder& e, T v) {
        if constexpr (std::is_signed_v<T>) {
            // Zigzag, so small negative numbers stay short.
            const auto w = static_cast<std::int64_t>(v);
            e.put_varint((static_cast<std::uint64_t>(w) << 1) ^ static_cast<std::uint64_t>(w >> 63));
        } else {
            e.put_varint(static_cast<std::uint64_t>(v));
        }
    }
    static T decode(Decoder& d) {
        const auto raw = d.get_varint();
        if constexpr (std::is_signed_v<T>) {
            const auto w = static_cast<std::int64_t>(raw >> 1) ^ -static_cast<std::int64_t>(raw & 1);
            if (w < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
                w > static_cast<std::int64_t>(std::numeric_limits<T>::max()))
                d.fail("integer out of range");
            return static_cast<T>(w);
        } else {
            if (raw > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) d.fail("integer out of range");
            return static_cast<T>(raw);
        }
    }
};

/// Enums with a fixed underlying type (every `enum class`, and `enum E : int`).
/// An enum without one may hold only some values of its underlying type, so
/// decoding could create an invalid value: give such an enum its own codec<T>.
/// (Only enums with a fixed underlying type can be list-initialized from it.)
template <class T>
    requires(std::is_enum_v<T> && requires { T{std::underlying_type_t<T>{}}; })
struct codec<T> {
    using U = std::underlying_type_t<T>;
    static void encode(Encoder& e, T v) { e.put(static_cast<U>(v)); }
    static T decode(Decoder& d) { return static_cast<T>(d.get<U>()); }
};

template <class T>
    requires(std::floating_point<T> && (sizeof(T) == 4 || sizeof(T) == 8))
struct codec<T> {
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    static void encode(Encoder& e, T v) {
        auto bits = std::bit_cast<Bits>(v);
        unsigned char b[sizeof(Bits)];
        for (auto& byte : b) { byte = static_cast<unsigned char>(bits & 0xffu); bits >>= 8; }
        e.put_bytes(b, sizeof b);
    }
    static T decode(Decoder& d) {
        const auto raw = d.take(sizeof(Bits));
        Bits bits = 0;
        for (std::size_t i = sizeof(Bits); i-- > 0;) bits = static_cast<Bits>((bits << 8) | static_cast<unsigned char>(raw[i]));
        return std::bit_cast<T>(bits);
    }
};

template <>
struct codec<std::monostate> {
    static void encode(Encoder& e, std::monostate) { e.put_marker(); }
    static std::monostate decode(Decoder& d) {
        d.get_marker();
        return {};
    }
};

template <class Rep, class Period>
    requires Serializable<Rep>
struct codec<std::chrono::duration<Rep, Period>> {
    using D = std::chrono::duration<Rep, Period>;
    static void encode(Encoder& e, D v) { e.put(v.count()); }
    static D decode(Decoder& d) { return D(d.get<Rep>()); }
};

// ---- strings and paths -----------------------------------------------------

template <class Char, class Traits, class Alloc>
struct codec<std::basic_string<Char, Traits, Alloc>> {
    using S = std::basic_string<Char, Traits, Alloc>;
    static void encode(Encoder& e, const S& s) {
        e.put_size(s.size());
        if constexpr (sizeof(Char) == 1) {
            e.put_bytes(s.data(), s.size());
        } else {
            for (Char c : s) e.put_varint(static_cast<std::uint64_t>(static_cast<std::make_unsigned_t<Char>>(c)));
        }
    }
    static S decode(Decoder& d) {
        const auto n = d.get_size();
        if constexpr (sizeof(Char) == 1) {
            const auto raw = d.take(n);
            S s(n, Char{});
            if (n != 0) std::memcpy(s.data(), raw.data(), n);
            return s;
        } else {
            S s;
            s.reserve(n);
            for (std::size_t i = 0; i < n; ++i) {
                const auto unit = d.get_varint();
                if (unit > static_cast<std::uint64_t>(std::numeric_limits<std::make_unsigned_t<Char>>::max()))
                    d.fail("character out of range");
                s.push_back(static_cast<Char>(unit));
            }
            return s;
        }
    }
};

/// Paths travel as UTF-8, so non-ASCII names survive on both platforms.
/// (POSIX names that are not UTF-8 travel as the bytes they are.)
template <>
struct codec<std::filesystem::path> {
    static void encode(Encoder& e, const std::filesystem::path& p) { e.put(p.u8string()); }
    static std::filesystem::path decode(Decoder& d) {
        auto bytes = d.get<std::u8string>();
        try {
            return std::filesystem::path(bytes);
        } catch (const std::system_error&) {
            // Windows converts to UTF-16 and throws filesystem_error on bytes
            // that are not UTF-8: malformed input, like any other.
            d.fail("path is not valid UTF-8");
        }
    }
};

// ---- containers ------------------------------------------------------------

namespace detail {
template <class C, class T>
struct sequence_codec {
    static void encode(Encoder& e, const C& c) {
        e.put_size(c.size());
        for (const auto& v : c) e.put(static_cast<const T&>(v));
    }
    static C decode(Decoder& d) {
        const auto n = d.get_size();
        C c;
        if constexpr (requires { c.reserve(n); }) c.reserve(n);
        for (std::size_t i = 0; i < n; ++i) c.insert(c.end(), d.get<T>());
        return c;
    }
};

template <class C, class K, class V>
struct map_codec {
    static void encode(Encoder& e, const C& c) {
        e.put_size(c.size());
        for (const auto& [k, v] : c) { e.put(k); e.put(v); }
    }
    static C decode(Decoder& d) {
        const auto n = d.get_size();
        C c;
        for (std::size_t i = 0; i < n; ++i) {
            auto k = d.get<K>();
            auto v = d.get<V>();
            if (!c.emplace(std::move(k), std::move(v)).second) d.fail("duplicate map key");
        }
        return c;
    }
};

template <class C, class K>
struct set_codec {
    static void encode(Encoder& e, const C& c) {
        e.put_size(c.size());
        for (const auto& k : c) e.put(k);
    }
    static C decode(Decoder& d) {
        const auto n = d.get_size();
        C c;
        for (std::size_t i = 0; i < n; ++i)
            if (!c.insert(d.get<K>()).second) d.fail("duplicate set element");
        return c;
    }
};
} // namespace detail

template <Serializable T, class A>
struct codec<std::vector<T, A>> : detail::sequence_codec<std::vector<T, A>, T> {};
template <Serializable T, class A>
struct codec<std::deque<T, A>> : detail::sequence_codec<std::deque<T, A>, T> {};
template <Serializable T, class A>
struct codec<std::list<T, A>> : detail::sequence_codec<std::list<T, A>, T> {};

template <Serializable K, Serializable V, class C, class A>
struct codec<std::map<K, V, C, A>> : detail::map_codec<std::map<K, V, C, A>, K, V> {};
template <Serializable K, Serializable V, class H, class E, class A>
struct codec<std::unordered_map<K, V, H, E, A>> : detail::map_codec<std::unordered_map<K, V, H, E, A>, K, V> {};
template <Serializable K, class C, class A>
struct codec<std::set<K, C, A>> : detail::set_codec<std::set<K, C, A>, K> {};
template <Serializable K, class H, class E, class A>
struct codec<std::unordered_set<K, H, E, A>> : detail::set_codec<std::unordered_set<K, H, E, A>, K> {};

template <Serializable T, std::size_t N>
struct codec<std::array<T, N>> {
    static void encode(Encoder& e, const std::array<T, N>& a) {
        if constexpr (N == 0) e.put_marker();
        for (const auto& v : a) e.put(v);
    }
    static std::array<T, N> decode(Decoder& d) {
        if constexpr (N == 0) d.get_marker();
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            // Braced initialization evaluates left to right.
            return std::array<T, N>{((void)I, d.get<T>())...};
        }(std::make_index_sequence<N>{});
    }
};

template <Serializable T>
struct codec<std::optional<T>> {
    static void encode(Encoder& e, const std::optional<T>& o) {
        e.put(o.has_value());
        if (o) e.put(*o);
    }
    static std::optional<T> decode(Decoder& d) {
        if (!d.get<bool>()) return std::nullopt;
        return d.get<T>();
    }
};

template <Serializable A, Serializable B>
struct codec<std::pair<A, B>> {
    static void encode(Encoder& e, const std::pair<A, B>& p) { e.put(p.first); e.put(p.second); }
    static std::pair<A, B> decode(Decoder& d) {
        auto a = d.get<A>();
        auto b = d.get<B>();
        return {std::move(a), std::move(b)};
    }
};

template <Serializable... Ts>
struct codec<std::tuple<Ts...>> {
    static void encode(Encoder& e, const std::tuple<Ts...>& t) {
        if constexpr (sizeof...(Ts) == 0) e.put_marker();
        std::apply([&](const auto&... v) { (e.put(v), ...); }, t);
    }
    static std::tuple<Ts...> decode(Decoder& d) {
        if constexpr (sizeof...(Ts) == 0) d.get_marker();
        // Braced initialization evaluates left to right.
        return std::tuple<Ts...>{d.get<Ts>()...};
    }
};

template <Serializable... Ts>
struct codec<std::variant<Ts...>> {
    using V = std::variant<Ts...>;
    static void encode(Encoder& e, const V& v) {
        if (v.valueless_by_exception()) throw Error("cannot encode a valueless std::variant");
        e.put_size(v.index());
        std::visit([&](const auto& x) { e.put(x); }, v);
    }
    static V decode(Decoder& d) {
        const auto index = d.get_varint();
        if (index >= sizeof...(Ts)) d.fail("variant index out of range");
        return pick(d, static_cast<std::size_t>(index), std::index_sequence_for<Ts...>{});
    }

private:
    template <std::size_t I>
    static V make(Decoder& d) {
        return V(std::in_place_index<I>, d.get<std::variant_alternative_t<I, V>>());
    }
    // A table of constructors: no alternative needs a default constructor.
    template <std::size_t... I>
    static V pick(Decoder& d, std::size_t index, std::index_sequence<I...>) {
        constexpr V (*table[])(Decoder&) = {&make<I>...};
        return table[index](d);
    }
};

} // namespace daemoniker
