#pragma once
/// \file
/// The codec for preserved arguments. On Windows the daemon is a new process,
/// so the values passed to daemonize() travel to it as bytes; on POSIX they
/// survive the fork, but the same requirement is enforced at compile time, so
/// code that compiles on Linux compiles and works on Windows.
///
/// Supported out of the box: bool, integers, enums with a fixed underlying type, float, double, the
/// std::basic_string family, std::filesystem::path, std::vector, std::deque,
/// std::list, std::array, std::map, std::unordered_map, std::set,
/// std::unordered_set, std::optional, std::pair, std::tuple, std::variant,
/// std::monostate and std::chrono::duration, nested freely.
///
/// **Customization point.** A user type is made serializable by specializing
/// `daemoniker::codec<T>` with two static functions:
///
///     template <> struct daemoniker::codec<Endpoint> {
///         static void encode(daemoniker::Encoder& e, const Endpoint& v) { e.put(v.host); e.put(v.port); }
///         static Endpoint decode(daemoniker::Decoder& d) {
///             auto host = d.get<std::string>();
///             auto port = d.get<std::uint16_t>();
///             return {std::move(host), port};
///         }
///     };
///
/// For an aggregate whose members are all serializable, naming the members is
/// enough: `template <> struct daemoniker::codec<Endpoint>
///     : daemoniker::fields_codec<Endpoint, &Endpoint::host, &Endpoint::port> {};`
///
/// The format is private to one version of the library (parent and daemon
/// are always the same executable); decoding is bounds-checked everywhere and
/// throws DecodeError on malformed input instead of reading past the end or
/// allocating what the input merely claims.

#include <daemoniker/errors.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace daemoniker {

/// Malformed serialized arguments (truncated, out of range, trailing bytes).
class DAEMONIKER_API DecodeError : public Error {
public:
    using Error::Error;
};

/// Primary template: deliberately undefined. Specialize it for your types.
template <class T>
struct codec;

class Encoder;
class Decoder;

/// A type the codec can carry across the daemonization boundary.
template <class T>
concept Serializable = requires(Encoder& e, Decoder& d, const T& v) {
    codec<T>::encode(e, v);
    { codec<T>::decode(d) } -> std::same_as<T>;
};

/// Appends the encoding of values to a byte string.
class Encoder {
public:
    explicit Encoder(std::string& out) noexcept : out_(out) {}

    template <Serializable T>
    void put(const T& value) { codec<T>::encode(*this, value); }

    /// Unsigned LEB128 (7 bits per byte): small values, small payloads.
    void put_varint(std::uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
            v >>= 7;
        }
        out_.push_back(static_cast<char>(v));
    }
    void put_size(std::size_t n) { put_varint(n); }
    /// One byte for a value that carries no information (an empty struct,
    /// std::monostate): every encoding takes at least one byte, so that a
    /// container's count can be checked against the input left.
    void put_marker() { put_varint(0); }
    void put_bytes(const void* data, std::size_t n) { out_.append(static_cast<const char*>(data), n); }

private:
    std::string& out_;
};

/// Reads values back; every read is bounds-checked.
class Decoder {
public:
    explicit Decoder(std::string_view in) noexcept : in_(in) {}

    template <Serializable T>
    T get() { return codec<T>::decode(*this); }

    std::uint64_t get_varint() {
        std::uint64_t v = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
            const auto byte = static_cast<unsigned char>(take(1)[0]);
            const std::uint64_t bits = byte & 0x7fu;
            if (shift == 63 && bits > 1) fail("integer overflows 64 bits");
            v |= bits << shift;
            if ((byte & 0x80u) == 0) return v;
        }
        fail("integer longer than 10 bytes");
    }

    /// An element count. It may not exceed the bytes left, since every
    /// encoding takes at least one byte (see Encoder::put_marker): a payload
    /// cannot make the decoder reserve or loop more than its own size.
    std::size_t get_size() {
        const auto n = get_varint();
        if (n > remaining()) fail("count exceeds the remaining input");
        return static_cast<std::size_t>(n);
    }

    /// Reads what Encoder::put_marker() wrote.
    void get_marker() {
        if (get_varint() != 0) fail("bad marker of an empty value");
    }

    std::string_view take(std::size_t n) {
        if (n > remaining()) fail("input truncated");
        auto part = in_.substr(pos_, n);
        pos_ += n;
        return part;
    }

    [[nodiscard]] std::size_t remaining() const noexcept { return in_.size() - pos_; }

    [[noreturn]] void fail(const char* why) const {
        throw DecodeError("cannot decode preserved arguments at byte " + std::to_string(pos_) + ": " + why);
    }

private:
    std::string_view in_;
    std::size_t pos_ = 0;
};

/// Codec for an aggregate, naming its members:
/// `template <> struct daemoniker::codec<P> : daemoniker::fields_codec<P, &P::x, &P::y> {};`
/// The type must be default-constructible; members are set in the order given.
template <class T, auto... Members>
struct fields_codec {
    static void encode(Encoder& e, const T& v) {
        if constexpr (sizeof...(Members) == 0) e.put_marker();
        (e.put(v.*Members), ...);
    }
    static T decode(Decoder& d) {
        if constexpr (sizeof...(Members) == 0) d.get_marker();
        T v{};
        ((v.*Members = d.get<std::remove_cvref_t<decltype(v.*Members)>>()), ...);
        return v;
    }
};

/// Encodes a list of values as one payload.
template <Serializable... Ts>
std::string encode(const Ts&... values) {
    std::string out;
    Encoder e(out);
    (e.put(values), ...);
    return out;
}

/// Decodes a payload made by encode<Ts...>(); the whole input must be used.
template <Serializable... Ts>
std::tuple<Ts...> decode(std::string_view bytes) {
    Decoder d(bytes);
    std::tuple<Ts...> out{d.get<Ts>()...};
    if (d.remaining() != 0) d.fail("trailing bytes after the last value");
    return out;
}

} // namespace daemoniker

// The codecs of the standard types listed above.
#include <daemoniker/detail/codec.hpp>
