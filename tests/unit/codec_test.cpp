// Unit tests of the argument codec (include/daemoniker/codec.hpp): round trips
// of every supported type, the wire format's documented building blocks, the
// compile-time Serializable concept, and malformed input, which must always end
// in DecodeError: never a crash, an out-of-bounds read or a huge allocation.

#include <daemoniker/codec.hpp>

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <ratio>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#ifdef _WIN32
#include <windows.h>
#else
#include <sys/mman.h>
#include <tuple>
#include <unistd.h>
#endif
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace {

using namespace std::string_literals;
using daemoniker::DecodeError;
using daemoniker::Serializable;

// ---- user types -------------------------------------------------------------

/// Made serializable by a hand-written codec<T> specialization.
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

/// Made serializable through fields_codec.
struct Config {
    std::string name;
    std::vector<std::int32_t> values;
    std::optional<std::filesystem::path> file;
    double ratio = 0.0;
    Endpoint endpoint;
    friend bool operator==(const Config&, const Config&) = default;
};

/// An aggregate of serializable members, but nobody wrote a codec for it.
struct Unsupported {
    int x = 0;
    std::string s;
};

enum class Color : std::uint8_t { red = 1, green = 2, blue = 255 };
enum class Signed64 : std::int64_t { lowest = std::numeric_limits<std::int64_t>::min(), minus_one = -1, highest = std::numeric_limits<std::int64_t>::max() };
enum Unscoped16 : std::int16_t { unscoped_low = -300, unscoped_high = 30000 };

} // namespace

template <>
struct daemoniker::codec<Endpoint> {
    static void encode(Encoder& e, const Endpoint& v) {
        e.put(v.host);
        e.put(v.port);
    }
    static Endpoint decode(Decoder& d) {
        auto host = d.get<std::string>();
        auto port = d.get<std::uint16_t>();
        return {std::move(host), port};
    }
};

template <>
struct daemoniker::codec<Config>
    : daemoniker::fields_codec<Config, &Config::name, &Config::values, &Config::file, &Config::ratio, &Config::endpoint> {};

namespace {

// ---- helpers ----------------------------------------------------------------

template <class T>
T round_trip(const T& value) {
    const std::string bytes = daemoniker::encode(value);
    return std::get<0>(daemoniker::decode<T>(bytes));
}

/// UTF-8 text as plain bytes (the installed GoogleTest cannot print std::u8string).
std::string as_bytes(const std::u8string& s) {
    std::string out(s.size(), '\0');
    if (!s.empty()) std::memcpy(out.data(), s.data(), s.size());
    return out;
}

std::string varint(std::uint64_t v) {
    std::string out;
    daemoniker::Encoder e(out);
    e.put_varint(v);
    return out;
}

/// Bytes placed so that they end exactly at a PROT_NONE page: any read past
/// the end is a SIGSEGV instead of a silent out-of-bounds read.
class GuardedBytes {
public:
    explicit GuardedBytes(std::string_view bytes) : size_(bytes.size()) {
#ifdef _WIN32
        SYSTEM_INFO info{};
        ::GetSystemInfo(&info);
        const std::size_t page = info.dwPageSize;
#else
        const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
#endif
        const std::size_t data_pages = (bytes.size() + page - 1) / page;
        mapped_ = (data_pages + 1) * page;
#ifdef _WIN32
        void* p = ::VirtualAlloc(nullptr, mapped_, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        if (p == nullptr) throw std::runtime_error("VirtualAlloc failed");
        base_ = static_cast<char*>(p);
        char* guard = base_ + data_pages * page;
        DWORD old = 0;
        if (!::VirtualProtect(guard, page, PAGE_NOACCESS, &old)) throw std::runtime_error("VirtualProtect failed");
#else
        void* p = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
        base_ = static_cast<char*>(p);
        char* guard = base_ + data_pages * page;
        if (::mprotect(guard, page, PROT_NONE) != 0) {
            ::munmap(base_, mapped_);
            throw std::runtime_error("mprotect failed");
        }
#endif
        begin_ = guard - bytes.size();
        if (!bytes.empty()) std::memcpy(begin_, bytes.data(), bytes.size());
    }
    GuardedBytes(const GuardedBytes&) = delete;
    GuardedBytes& operator=(const GuardedBytes&) = delete;
#ifdef _WIN32
    ~GuardedBytes() { ::VirtualFree(base_, 0, MEM_RELEASE); }
#else
    ~GuardedBytes() { ::munmap(base_, mapped_); }
#endif

    [[nodiscard]] std::string_view view() const noexcept { return {begin_, size_}; }

private:
    std::size_t size_;
    std::size_t mapped_ = 0;
    char* base_ = nullptr;
    char* begin_ = nullptr;
};

/// Decodes `bytes` (from a guarded buffer) and reports how it went.
enum class Outcome { decoded, decode_error, other_exception };

template <class... Ts>
Outcome try_decode(std::string_view bytes, std::string* what = nullptr) {
    const GuardedBytes guarded(bytes);
    try {
        (void)daemoniker::decode<Ts...>(guarded.view());
        return Outcome::decoded;
    } catch (const DecodeError&) {
        return Outcome::decode_error;
    } catch (const std::exception& e) {
        if (what != nullptr) *what = e.what();
        return Outcome::other_exception;
    }
}

template <class... Ts>
void expect_every_strict_prefix_fails(const std::string& payload) {
    ASSERT_FALSE(payload.empty());
    ASSERT_EQ(try_decode<Ts...>(payload), Outcome::decoded) << "the whole payload must decode";
    for (std::size_t k = 0; k < payload.size(); ++k) {
        std::string what;
        const auto outcome = try_decode<Ts...>(std::string_view(payload).substr(0, k), &what);
        EXPECT_EQ(outcome, Outcome::decode_error) << "prefix of " << k << " of " << payload.size() << " bytes " << what;
    }
}

/// Counts what a container allocates, to prove a claimed count is not trusted.
struct AllocationLog {
    static inline std::size_t bytes = 0;
    static inline std::size_t calls = 0;
    static void reset() noexcept { bytes = 0; calls = 0; }
};

template <class T>
struct CountingAllocator {
    using value_type = T;
    CountingAllocator() noexcept = default;
    template <class U>
    CountingAllocator(const CountingAllocator<U>&) noexcept {} // NOLINT: implicit, as allocators are
    T* allocate(std::size_t n) {
        AllocationLog::bytes += n * sizeof(T);
        ++AllocationLog::calls;
        return std::allocator<T>{}.allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>{}.deallocate(p, n); }
    friend bool operator==(const CountingAllocator&, const CountingAllocator&) noexcept { return true; }
};

template <class T>
using CountedVector = std::vector<T, CountingAllocator<T>>;
template <class Char>
using CountedString = std::basic_string<Char, std::char_traits<Char>, CountingAllocator<Char>>;

// ---- compile-time: the Serializable concept ---------------------------------

static_assert(Serializable<bool>);
static_assert(Serializable<char>);
static_assert(Serializable<signed char>);
static_assert(Serializable<unsigned char>);
static_assert(Serializable<char8_t>);
static_assert(Serializable<char16_t>);
static_assert(Serializable<char32_t>);
static_assert(Serializable<wchar_t>);
static_assert(Serializable<std::int8_t>);
static_assert(Serializable<std::uint16_t>);
static_assert(Serializable<std::int32_t>);
static_assert(Serializable<std::uint64_t>);
static_assert(Serializable<long long>);
static_assert(Serializable<Color>);
static_assert(Serializable<Unscoped16>);
static_assert(Serializable<float>);
static_assert(Serializable<double>);
static_assert(Serializable<std::string>);
static_assert(Serializable<std::wstring>);
static_assert(Serializable<std::u8string>);
static_assert(Serializable<std::u16string>);
static_assert(Serializable<std::u32string>);
static_assert(Serializable<std::filesystem::path>);
static_assert(Serializable<std::vector<int>>);
static_assert(Serializable<std::vector<bool>>);
static_assert(Serializable<std::deque<std::string>>);
static_assert(Serializable<std::list<double>>);
static_assert(Serializable<std::array<int, 3>>);
static_assert(Serializable<std::map<std::string, int>>);
static_assert(Serializable<std::unordered_map<int, std::string>>);
static_assert(Serializable<std::set<int>>);
static_assert(Serializable<std::unordered_set<std::string>>);
static_assert(Serializable<std::optional<int>>);
static_assert(Serializable<std::pair<int, std::string>>);
static_assert(Serializable<std::tuple<>>);
static_assert(Serializable<std::tuple<int, std::string, double>>);
static_assert(Serializable<std::variant<std::monostate, int, std::string>>);
static_assert(Serializable<std::monostate>);
static_assert(Serializable<std::chrono::seconds>);
static_assert(Serializable<std::chrono::duration<double, std::milli>>);
static_assert(Serializable<Endpoint>);
static_assert(Serializable<Config>);
static_assert(Serializable<std::vector<Endpoint>>);
static_assert(Serializable<CountedVector<std::uint64_t>>);
static_assert(Serializable<CountedString<char>>);

static_assert(!Serializable<Unsupported>);
enum NoFixedType { nft_a, nft_b }; // may not hold every int: needs its own codec
static_assert(!Serializable<NoFixedType>);
static_assert(!Serializable<int*>);
static_assert(!Serializable<const int*>);
static_assert(!Serializable<void*>);
static_assert(!Serializable<char*>);
static_assert(!Serializable<const char*>);
static_assert(!Serializable<Endpoint*>);
static_assert(!Serializable<std::nullptr_t>);
static_assert(!Serializable<int Unsupported::*>);
static_assert(!Serializable<int[4]>);
static_assert(!Serializable<std::unique_ptr<int>>);
static_assert(!Serializable<std::shared_ptr<int>>);
static_assert(!Serializable<std::string_view>);
static_assert(!Serializable<long double>);
static_assert(!Serializable<std::vector<int*>>);
static_assert(!Serializable<std::vector<Unsupported>>);
static_assert(!Serializable<std::map<int, const char*>>);
static_assert(!Serializable<std::map<Unsupported*, int>>);
static_assert(!Serializable<std::set<void*>>);
static_assert(!Serializable<std::optional<Unsupported>>);
static_assert(!Serializable<std::pair<int, int*>>);
static_assert(!Serializable<std::tuple<int, Unsupported>>);
static_assert(!Serializable<std::variant<int, char*>>);
static_assert(!Serializable<std::array<int*, 2>>);
static_assert(!Serializable<std::chrono::duration<long double>>);

// ---- wire format building blocks (documented: LEB128, zigzag) ----------------

TEST(CodecWire, VarintIsLeb128) {
    EXPECT_EQ(daemoniker::encode(std::uint64_t{0}), "\x00"s);
    EXPECT_EQ(daemoniker::encode(std::uint64_t{127}), "\x7f"s);
    EXPECT_EQ(daemoniker::encode(std::uint64_t{128}), "\x80\x01"s);
    EXPECT_EQ(daemoniker::encode(std::uint64_t{300}), "\xac\x02"s);
    EXPECT_EQ(daemoniker::encode(std::numeric_limits<std::uint64_t>::max()), "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s);
}

TEST(CodecWire, SignedIntegersAreZigzag) {
    EXPECT_EQ(daemoniker::encode(0), "\x00"s);
    EXPECT_EQ(daemoniker::encode(-1), "\x01"s);
    EXPECT_EQ(daemoniker::encode(1), "\x02"s);
    EXPECT_EQ(daemoniker::encode(-64), "\x7f"s);
    EXPECT_EQ(daemoniker::encode(64), "\x80\x01"s);
    EXPECT_EQ(daemoniker::encode(std::numeric_limits<std::int64_t>::min()).size(), 10u);
}

TEST(CodecWire, ScalarsAndStrings) {
    EXPECT_EQ(daemoniker::encode(false), "\x00"s);
    EXPECT_EQ(daemoniker::encode(true), "\x01"s);
    EXPECT_EQ(daemoniker::encode(std::string("ab")), "\x02"s "ab");
    // Floating point is little-endian IEEE 754 whatever the host.
    EXPECT_EQ(daemoniker::encode(1.0), "\x00\x00\x00\x00\x00\x00\xf0\x3f"s);
    EXPECT_EQ(daemoniker::encode(1.0f), "\x00\x00\x80\x3f"s);
    // Values without information still take one byte (see Encoder::put_marker).
    EXPECT_EQ(daemoniker::encode(std::monostate{}), "\x00"s);
    EXPECT_EQ(daemoniker::encode(std::tuple<>{}), "\x00"s);
    EXPECT_EQ(daemoniker::encode(std::array<int, 0>{}), "\x00"s);
    EXPECT_EQ(daemoniker::encode(), ""s);
}

TEST(CodecWire, SeveralValuesConcatenate) {
    EXPECT_EQ(daemoniker::encode(1u, std::string("x"), true), "\x01\x01x\x01"s);
    const auto [a, b, c] = daemoniker::decode<unsigned, std::string, bool>("\x01\x01x\x01"s);
    EXPECT_EQ(a, 1u);
    EXPECT_EQ(b, "x");
    EXPECT_TRUE(c);
    EXPECT_EQ(daemoniker::decode<>(""), std::tuple<>{});
}

// ---- scalars ----------------------------------------------------------------

TEST(CodecRoundTrip, Bool) {
    EXPECT_TRUE(round_trip(true));
    EXPECT_FALSE(round_trip(false));
}

template <class T>
class CodecIntegerTest : public ::testing::Test {};

using IntegerTypes =
    ::testing::Types<char, signed char, unsigned char, short, unsigned short, int, unsigned, long, unsigned long,
                     long long, unsigned long long, std::int8_t, std::uint8_t, std::int16_t, std::uint16_t,
                     std::int32_t, std::uint32_t, std::int64_t, std::uint64_t, char8_t, char16_t, char32_t, wchar_t>;
TYPED_TEST_SUITE(CodecIntegerTest, IntegerTypes);

TYPED_TEST(CodecIntegerTest, RoundTripsExtremesAndNeighbours) {
    using T = TypeParam;
    using L = std::numeric_limits<T>;
    const std::vector<T> values{L::min(),
                                static_cast<T>(L::min() + 1),
                                T{0},
                                T{1},
                                T{2},
                                T{63},
                                T{64},
                                T{127},
                                static_cast<T>(L::max() / 2),
                                static_cast<T>(L::max() - 1),
                                L::max()};
    for (const T v : values) EXPECT_EQ(round_trip(v), v) << "value " << static_cast<long long>(v);
    if constexpr (std::is_signed_v<T>) {
        for (const T v : {T{-1}, T{-2}, T{-64}, T{-65}, T{-127}, static_cast<T>(L::min() / 2)})
            EXPECT_EQ(round_trip(v), v) << "value " << static_cast<long long>(v);
    }
    // The whole vector at once, too (and its encoding is fully consumed).
    EXPECT_EQ(round_trip(values), values);
}

TEST(CodecRoundTrip, EveryInt16AndUint16) {
    for (int i = std::numeric_limits<std::int16_t>::min(); i <= std::numeric_limits<std::int16_t>::max(); ++i) {
        const auto v = static_cast<std::int16_t>(i);
        ASSERT_EQ(round_trip(v), v);
    }
    for (unsigned i = 0; i <= std::numeric_limits<std::uint16_t>::max(); ++i) {
        const auto v = static_cast<std::uint16_t>(i);
        ASSERT_EQ(round_trip(v), v);
    }
}

TEST(CodecRoundTrip, Int64PowersOfTwoAndNegations) {
    for (unsigned bit = 0; bit < 63; ++bit) {
        const auto p = static_cast<std::int64_t>(std::uint64_t{1} << bit);
        for (const std::int64_t v : {p, p - 1, -p, -p + 1, -p - 1}) ASSERT_EQ(round_trip(v), v) << v;
    }
    for (unsigned bit = 0; bit < 64; ++bit) {
        const std::uint64_t p = std::uint64_t{1} << bit;
        for (const std::uint64_t v : {p, p - 1, p + 1}) ASSERT_EQ(round_trip(v), v) << v;
    }
}

TEST(CodecRoundTrip, Enums) {
    for (const Color c : {Color::red, Color::green, Color::blue}) EXPECT_EQ(round_trip(c), c);
    EXPECT_EQ(round_trip(static_cast<Color>(0)), static_cast<Color>(0)); // not a named enumerator, still a valid value
    for (const Signed64 s : {Signed64::lowest, Signed64::minus_one, Signed64::highest}) EXPECT_EQ(round_trip(s), s);
    EXPECT_EQ(round_trip(unscoped_low), unscoped_low);
    EXPECT_EQ(round_trip(unscoped_high), unscoped_high);
    // An enum travels as its underlying type.
    EXPECT_EQ(daemoniker::encode(Color::blue), daemoniker::encode(std::uint8_t{255}));
    EXPECT_EQ(daemoniker::encode(Signed64::minus_one), "\x01"s);
}

template <class F, class Bits>
void expect_bits_survive(Bits bits) {
    const F value = std::bit_cast<F>(bits);
    const F back = round_trip(value);
    EXPECT_EQ(std::bit_cast<Bits>(back), bits) << std::hex << "bits 0x" << bits;
}

TEST(CodecRoundTrip, DoubleBitPatterns) {
    using L = std::numeric_limits<double>;
    for (const double v : {0.0, 1.0, -1.5, 3.141592653589793, L::min(), L::max(), L::lowest(), L::epsilon(),
                           L::denorm_min(), -L::denorm_min()})
        EXPECT_EQ(round_trip(v), v);
    const double inf = round_trip(L::infinity());
    EXPECT_TRUE(std::isinf(inf) && inf > 0);
    const double minus_inf = round_trip(-L::infinity());
    EXPECT_TRUE(std::isinf(minus_inf) && minus_inf < 0);
    const double minus_zero = round_trip(-0.0);
    EXPECT_EQ(minus_zero, 0.0);
    EXPECT_TRUE(std::signbit(minus_zero));
    EXPECT_FALSE(std::signbit(round_trip(0.0)));
    EXPECT_TRUE(std::isnan(round_trip(L::quiet_NaN())));

    for (const std::uint64_t bits : {std::uint64_t{0x8000000000000000}, // -0.0
                                     std::uint64_t{0x7ff0000000000000}, // +inf
                                     std::uint64_t{0xfff0000000000000}, // -inf
                                     std::uint64_t{0x7ff8000000000000}, // canonical quiet NaN
                                     std::uint64_t{0x7ff8000000000001}, // quiet NaN with payload
                                     std::uint64_t{0xfff8dead0000beef}, // negative NaN with payload
                                     std::uint64_t{0x7ff0000000000001}, // signalling NaN
                                     std::uint64_t{0x0000000000000001}, // smallest subnormal
                                     std::uint64_t{0x0123456789abcdef}})
        expect_bits_survive<double>(bits);
}

TEST(CodecRoundTrip, FloatBitPatterns) {
    using L = std::numeric_limits<float>;
    for (const float v : {0.0f, 1.0f, -2.5f, L::min(), L::max(), L::lowest(), L::denorm_min()})
        EXPECT_EQ(round_trip(v), v);
    EXPECT_TRUE(std::signbit(round_trip(-0.0f)));
    EXPECT_TRUE(std::isnan(round_trip(L::quiet_NaN())));
    for (const std::uint32_t bits : {std::uint32_t{0x80000000}, std::uint32_t{0x7f800000}, std::uint32_t{0xff800000},
                                     std::uint32_t{0x7fc00000}, std::uint32_t{0x7fc00001}, std::uint32_t{0xffc0beef},
                                     std::uint32_t{0x7f800001}, std::uint32_t{0x00000001}, std::uint32_t{0x12345678}})
        expect_bits_survive<float>(bits);
}

// ---- strings and paths ------------------------------------------------------

TEST(CodecRoundTrip, StringWithEmbeddedNulsAndAllBytes) {
    EXPECT_EQ(round_trip(std::string()), "");
    const std::string nuls = "a\0b\0\0c\0"s;
    ASSERT_EQ(nuls.size(), 7u);
    EXPECT_EQ(round_trip(nuls), nuls);
    EXPECT_EQ(round_trip("\0"s), "\0"s);

    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    const auto back = round_trip(all);
    ASSERT_EQ(back.size(), 256u);
    EXPECT_EQ(back, all);

    const std::string long_string(100000, 'x');
    EXPECT_EQ(round_trip(long_string), long_string);
}

TEST(CodecRoundTrip, WideAndUnicodeStrings) {
    const std::wstring w = L"caf\u00e9 \u65e5\u672c \U0001F600 "s + L'\0' + L"end";
    EXPECT_EQ(round_trip(w), w);
    std::wstring extremes;
    extremes.push_back(std::numeric_limits<wchar_t>::min());
    extremes.push_back(std::numeric_limits<wchar_t>::max());
    extremes.push_back(static_cast<wchar_t>(-1));
    extremes.push_back(L'\0');
    EXPECT_EQ(round_trip(extremes), extremes);
    EXPECT_EQ(round_trip(std::wstring()), L"");

    const std::u8string u8 = u8"gr\u00fc\u00df \u00e9t\u00e9 \U0001F680"s + u8'\0' + u8"z";
    EXPECT_EQ(as_bytes(round_trip(u8)), as_bytes(u8));

    const std::u16string u16 = u"\u00e9\uffff\U0001F600"s + u'\0';
    EXPECT_EQ(round_trip(u16), u16);
    const std::u32string u32 = U"\U0010FFFF\U0001F600x"s + U'\0' + static_cast<char32_t>(0xffffffff);
    EXPECT_EQ(round_trip(u32), u32);
}

TEST(CodecRoundTrip, Paths) {
    namespace fs = std::filesystem;
    for (const fs::path& p : {fs::path(), fs::path("relative/file.pid"), fs::path("/var/run/x.pid"), fs::path("/")}) {
        const auto back = round_trip(p);
        EXPECT_EQ(back, p);
        EXPECT_EQ(back.native(), p.native());
    }
    const fs::path unicode(u8"/tmp/caf\u00e9/\u65e5\u672c\u8a9e/\U0001F600 d\u00e6mon.pid");
    const auto back = round_trip(unicode);
    EXPECT_EQ(back.native(), unicode.native());
    EXPECT_EQ(as_bytes(back.u8string()), as_bytes(unicode.u8string()));
    EXPECT_EQ(as_bytes(back.filename().u8string()), "\xf0\x9f\x98\x80 d\xc3\xa6mon.pid");
#ifndef _WIN32
    // POSIX file names are bytes; ones that are not UTF-8 must survive too.
    const fs::path raw(std::string("/tmp/\xff\xfe-latin1-\xe9.pid"));
    EXPECT_EQ(round_trip(raw).native(), raw.native());
#endif
}

// ---- containers ---------------------------------------------------------------

TEST(CodecRoundTrip, Vectors) {
    EXPECT_EQ(round_trip(std::vector<int>{}), std::vector<int>{});
    const std::vector<int> ints{1, -2, 300, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()};
    EXPECT_EQ(round_trip(ints), ints);
    const std::vector<std::string> strings{"", "a", "\0\0"s, std::string(1000, 'q')};
    EXPECT_EQ(round_trip(strings), strings);
}

TEST(CodecRoundTrip, VectorOfBool) {
    EXPECT_EQ(round_trip(std::vector<bool>{}), std::vector<bool>{});
    std::vector<bool> bits;
    for (int i = 0; i < 77; ++i) bits.push_back(i % 3 == 0 || i % 7 == 0);
    const auto back = round_trip(bits);
    ASSERT_EQ(back.size(), 77u);
    EXPECT_EQ(back, bits);
    EXPECT_EQ(daemoniker::encode(std::vector<bool>{true, false, true}), "\x03\x01\x00\x01"s);
}

TEST(CodecRoundTrip, DequeListArray) {
    const std::deque<std::string> d{"one", "", "three"};
    EXPECT_EQ(round_trip(d), d);
    EXPECT_EQ(round_trip(std::deque<int>{}), std::deque<int>{});
    const std::list<double> l{1.5, -0.25, 1e300};
    EXPECT_EQ(round_trip(l), l);
    const std::array<std::int16_t, 4> a{-32768, 0, 1, 32767};
    EXPECT_EQ(round_trip(a), a);
    const std::array<std::string, 3> sa{"x", "", "zz"};
    EXPECT_EQ(round_trip(sa), sa); // order preserved
    EXPECT_EQ(round_trip(std::array<int, 0>{}), (std::array<int, 0>{}));
    const std::array<bool, 3> ab{true, false, true};
    EXPECT_EQ(round_trip(ab), ab);
    // An array carries no count.
    EXPECT_EQ(daemoniker::encode(std::array<std::uint8_t, 2>{5, 6}), "\x05\x06"s);
}

TEST(CodecRoundTrip, Maps) {
    const std::map<std::string, std::vector<int>> m{{"", {}}, {"a", {1, 2}}, {"b", {-3}}};
    EXPECT_EQ(round_trip(m), m);
    EXPECT_EQ(round_trip(std::map<int, int>{}), (std::map<int, int>{}));
    std::unordered_map<int, std::string> um;
    for (int i = -50; i < 50; ++i) um.emplace(i * 7, std::to_string(i));
    EXPECT_EQ(round_trip(um), um);
}

TEST(CodecRoundTrip, Sets) {
    const std::set<std::string> s{"", "alpha", "beta", "\0"s};
    EXPECT_EQ(round_trip(s), s);
    std::unordered_set<std::int64_t> us{std::numeric_limits<std::int64_t>::min(), -1, 0, 1,
                                        std::numeric_limits<std::int64_t>::max()};
    EXPECT_EQ(round_trip(us), us);
    EXPECT_EQ(round_trip(std::set<int>{}), std::set<int>{});
}

TEST(CodecRoundTrip, Optional) {
    EXPECT_EQ(round_trip(std::optional<std::string>{}), std::nullopt);
    EXPECT_EQ(round_trip(std::optional<std::string>{"x"}), std::optional<std::string>{"x"});
    EXPECT_EQ(round_trip(std::optional<std::string>{""}), std::optional<std::string>{""});
    EXPECT_EQ(round_trip(std::optional<int>{0}), std::optional<int>{0});
    // All three states of a nested optional stay distinct.
    using OO = std::optional<std::optional<int>>;
    EXPECT_EQ(round_trip(OO{}), OO{});
    EXPECT_EQ(round_trip(OO{std::optional<int>{}}), OO{std::optional<int>{}});
    EXPECT_TRUE(round_trip(OO{std::optional<int>{}}).has_value());
    EXPECT_EQ(round_trip(OO{std::optional<int>{5}}), OO{std::optional<int>{5}});
    EXPECT_EQ(daemoniker::encode(std::optional<int>{}), "\x00"s);
}

TEST(CodecRoundTrip, PairAndTuple) {
    const std::pair<std::string, int> p{"port", 8080};
    EXPECT_EQ(round_trip(p), p);
    const std::tuple<int, std::string, double, bool, std::vector<char>> t{-7, "tuple", 2.5, true, {'a', '\0'}};
    EXPECT_EQ(round_trip(t), t);
    EXPECT_EQ(round_trip(std::tuple<>{}), std::tuple<>{});
    // Left-to-right order of the elements.
    const std::tuple<std::uint8_t, std::uint8_t, std::uint8_t> ordered{1, 2, 3};
    EXPECT_EQ(daemoniker::encode(ordered), "\x01\x02\x03"s);
    EXPECT_EQ(std::get<0>(daemoniker::decode<std::remove_const_t<decltype(ordered)>>("\x01\x02\x03"s)), ordered);
}

TEST(CodecRoundTrip, VariantAndMonostate) {
    using V = std::variant<std::monostate, int, std::string, std::vector<int>>;
    for (const V& v : {V{}, V{42}, V{-1}, V{std::string("str")}, V{std::string()}, V{std::vector<int>{1, 2}}}) {
        const V back = round_trip(v);
        EXPECT_EQ(back.index(), v.index());
        EXPECT_EQ(back, v);
    }
    // Alternatives of the same type are told apart by index.
    using Twin = std::variant<int, int>;
    const Twin second{std::in_place_index<1>, 9};
    const Twin back = round_trip(second);
    EXPECT_EQ(back.index(), 1u);
    EXPECT_EQ(std::get<1>(back), 9);
    EXPECT_EQ(round_trip(std::monostate{}), std::monostate{});
    EXPECT_EQ(daemoniker::encode(V{std::string("a")}), "\x02\x01" "a"s);
}

TEST(CodecRoundTrip, ChronoDurations) {
    using namespace std::chrono;
    EXPECT_EQ(round_trip(seconds{-5}), seconds{-5});
    EXPECT_EQ(round_trip(milliseconds::max()), milliseconds::max());
    EXPECT_EQ(round_trip(milliseconds::min()), milliseconds::min());
    EXPECT_EQ(round_trip(nanoseconds{123456789012345}), nanoseconds{123456789012345});
    EXPECT_EQ(round_trip(hours{0}), hours{0});
    EXPECT_EQ(round_trip(duration<double, std::milli>{1.5}), (duration<double, std::milli>{1.5}));
    EXPECT_EQ(round_trip(duration<std::uint8_t, std::ratio<3, 7>>{200}), (duration<std::uint8_t, std::ratio<3, 7>>{200}));
    EXPECT_EQ(daemoniker::encode(seconds{-1}), "\x01"s); // the count, nothing else
}

// ---- user types -------------------------------------------------------------

TEST(CodecRoundTrip, UserTypeWithCodecSpecialization) {
    const Endpoint e{"example.org", 65535};
    EXPECT_EQ(round_trip(e), e);
    EXPECT_EQ(daemoniker::encode(e), daemoniker::encode(std::string("example.org"), std::uint16_t{65535}));
    const std::vector<Endpoint> many{{"a", 1}, {"", 0}, {"\xce\xbb", 443}};
    EXPECT_EQ(round_trip(many), many);
}

TEST(CodecRoundTrip, UserTypeWithFieldsCodec) {
    const Config c{"daemon", {1, -1, 1000000}, std::filesystem::path(u8"/etc/d\u00e6mon.conf"), 0.75, {"localhost", 22}};
    const Config back = round_trip(c);
    EXPECT_EQ(back, c);
    EXPECT_EQ(as_bytes(back.file->u8string()), "/etc/d\xc3\xa6mon.conf");
    const Config empty{};
    EXPECT_EQ(round_trip(empty), empty);
    // Members travel in the order given to fields_codec.
    EXPECT_EQ(daemoniker::encode(c), daemoniker::encode(c.name, c.values, c.file, c.ratio, c.endpoint));
    const std::map<std::string, Config> by_name{{"x", c}, {"y", empty}};
    EXPECT_EQ(round_trip(by_name), by_name);
}

// ---- nesting and size -------------------------------------------------------

using Deep = std::map<
    std::string,
    std::vector<std::optional<std::variant<
        std::monostate, int,
        std::tuple<std::string, std::list<std::set<std::int64_t>>, std::pair<bool, std::deque<double>>>>>>>;

Deep make_deep() {
    using Inner = std::tuple<std::string, std::list<std::set<std::int64_t>>, std::pair<bool, std::deque<double>>>;
    using Var = std::variant<std::monostate, int, Inner>;
    Deep d;
    d["empty"] = {};
    d["mixed"] = {std::nullopt, Var{}, Var{-17},
                  Var{Inner{"in", {{1, 2, 3}, {}, {std::numeric_limits<std::int64_t>::min()}}, {true, {0.5, -0.0}}}}};
    d[""] = {Var{Inner{}}};
    return d;
}

template <std::size_t N>
struct Nest {
    using type = std::vector<typename Nest<N - 1>::type>;
    static type make() { return {Nest<N - 1>::make(), {}, Nest<N - 1>::make()}; }
};
template <>
struct Nest<0> {
    using type = std::int32_t;
    static type make() { return -42; }
};

TEST(CodecRoundTrip, DeepNesting) {
    const Deep d = make_deep();
    const Deep back = round_trip(d);
    EXPECT_EQ(back, d);
    ASSERT_EQ(back.at("mixed").size(), 4u);
    EXPECT_FALSE(back.at("mixed")[0].has_value());
    EXPECT_EQ(back.at("mixed")[1]->index(), 0u);

    const auto nested = Nest<10>::make();
    EXPECT_EQ(round_trip(nested), nested);

    const std::vector<std::map<std::string, std::vector<Endpoint>>> users{{{"k", {{"h", 1}}}}, {}};
    EXPECT_EQ(round_trip(users), users);
}

TEST(CodecRoundTrip, LargeVector) {
    std::vector<std::uint64_t> big(100000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ull;
    const std::string bytes = daemoniker::encode(big);
    const auto back = std::get<0>(daemoniker::decode<std::vector<std::uint64_t>>(bytes));
    ASSERT_EQ(back.size(), 100000u);
    EXPECT_EQ(back, big);
    // Cut the last byte off: the whole thing must be refused.
    EXPECT_THROW((void)daemoniker::decode<std::vector<std::uint64_t>>(std::string_view(bytes).substr(0, bytes.size() - 1)),
                 DecodeError);

    std::vector<std::int32_t> signed_values(100000);
    for (std::size_t i = 0; i < signed_values.size(); ++i)
        signed_values[i] = static_cast<std::int32_t>(i % 2 == 0 ? -static_cast<std::int64_t>(i) * 2111 : static_cast<std::int64_t>(i) * 21);
    EXPECT_EQ(round_trip(signed_values), signed_values);
}

// ---- malformed input -----------------------------------------------------------

TEST(CodecMalformed, EveryStrictPrefixFails) {
    expect_every_strict_prefix_fails<std::int64_t>(daemoniker::encode(std::numeric_limits<std::int64_t>::min()));
    expect_every_strict_prefix_fails<double>(daemoniker::encode(-0.0));
    expect_every_strict_prefix_fails<float>(daemoniker::encode(1.0f));
    expect_every_strict_prefix_fails<std::string>(daemoniker::encode("a\0bc"s));
    expect_every_strict_prefix_fails<std::wstring>(daemoniker::encode(std::wstring(L"\U0001F600x")));
    expect_every_strict_prefix_fails<std::filesystem::path>(
        daemoniker::encode(std::filesystem::path(u8"/tmp/\u65e5.pid")));
    expect_every_strict_prefix_fails<std::vector<bool>>(daemoniker::encode(std::vector<bool>{true, false}));
    expect_every_strict_prefix_fails<std::array<std::uint16_t, 3>>(daemoniker::encode(std::array<std::uint16_t, 3>{1, 300, 65535}));
    expect_every_strict_prefix_fails<std::optional<std::string>>(daemoniker::encode(std::optional<std::string>{"x"}));
    expect_every_strict_prefix_fails<std::variant<int, std::string>>(daemoniker::encode(std::variant<int, std::string>{"v"}));
    expect_every_strict_prefix_fails<std::chrono::nanoseconds>(daemoniker::encode(std::chrono::nanoseconds{-1000000}));
    expect_every_strict_prefix_fails<Config>(
        daemoniker::encode(Config{"n", {1, 2}, std::filesystem::path("/p"), 2.0, {"h", 80}}));
    expect_every_strict_prefix_fails<Deep>(daemoniker::encode(make_deep()));
    expect_every_strict_prefix_fails<std::unordered_map<std::string, std::set<int>>, bool, std::deque<std::u16string>,
                                     std::list<std::pair<int, double>>, std::unordered_set<int>>(
        daemoniker::encode(std::unordered_map<std::string, std::set<int>>{{"k", {1, 2}}, {"", {}}}, true,
                           std::deque<std::u16string>{u"\u00e9", u""}, std::list<std::pair<int, double>>{{1, 0.5}},
                           std::unordered_set<int>{3, 4}));
}

TEST(CodecMalformed, CorruptedBytesOnlyEverThrowDecodeError) {
    using Payload = std::tuple<std::map<std::string, std::vector<std::int16_t>>, std::optional<std::wstring>,
                               std::variant<std::monostate, std::uint8_t, std::string>, double, std::vector<bool>>;
    const Payload value{{{"ab", {1, -300}}, {"c", {}}}, L"w\u00e9", std::string("s"), 1.25, {true, false}};
    const std::string good = daemoniker::encode(value);
    ASSERT_EQ(try_decode<Payload>(good), Outcome::decoded);
    std::size_t decoded = 0;
    std::size_t refused = 0;
    for (std::size_t i = 0; i < good.size(); ++i) {
        for (const int b : {0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff}) {
            std::string bad = good;
            bad[i] = static_cast<char>(b);
            std::string what;
            const auto outcome = try_decode<Payload>(bad, &what);
            EXPECT_NE(outcome, Outcome::other_exception) << "byte " << i << " = " << b << ": " << what;
            (outcome == Outcome::decoded ? decoded : refused) += 1;
        }
    }
    EXPECT_GT(refused, 0u);
    EXPECT_GT(decoded, 0u);
}

TEST(CodecMalformed, TrailingBytesFail) {
    EXPECT_THROW((void)daemoniker::decode<int>(daemoniker::encode(5) + '\0'), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::string>(daemoniker::encode(std::string("abc")) + "x"), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<double>(daemoniker::encode(1.0) + '\x01'), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<int>(daemoniker::encode(1, 2)), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<>("\x00"s), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::monostate>("\x00\x00"s), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::monostate>("\x01"s), DecodeError); // bad marker
    EXPECT_THROW((void)daemoniker::decode<std::vector<int>>(daemoniker::encode(std::vector<int>{1, 2}) + "\x03"),
                 DecodeError);
}

// Containers of values that carry no information round-trip (each element
// takes one byte, so the count check of the decoder still holds).
TEST(CodecRoundTrip, ContainersOfEmptyValues) {
    const std::vector<std::monostate> monos(3);
    EXPECT_EQ(std::get<0>(daemoniker::decode<std::vector<std::monostate>>(daemoniker::encode(monos))).size(), 3u);
    const std::vector<std::tuple<>> tuples(2);
    EXPECT_EQ(std::get<0>(daemoniker::decode<std::vector<std::tuple<>>>(daemoniker::encode(tuples))).size(), 2u);
    const std::vector<std::array<int, 0>> arrays(4);
    EXPECT_EQ(std::get<0>(daemoniker::decode<std::vector<std::array<int, 0>>>(daemoniker::encode(arrays))).size(), 4u);
}

// A variant whose first alternative has no default constructor decodes.
struct NoDefault {
    explicit NoDefault(int v) : value(v) {}
    int value;
};
} // namespace
template <>
struct daemoniker::codec<NoDefault> {
    static void encode(Encoder& e, const NoDefault& v) { e.put(v.value); }
    static NoDefault decode(Decoder& d) { return NoDefault(d.get<int>()); }
};
namespace {
TEST(CodecRoundTrip, VariantWithoutDefaultConstructibleFirstAlternative) {
    using V = std::variant<NoDefault, std::string>;
    const auto a = std::get<0>(daemoniker::decode<V>(daemoniker::encode(V(NoDefault(7)))));
    ASSERT_EQ(a.index(), 0u);
    EXPECT_EQ(std::get<0>(a).value, 7);
    const auto b = std::get<0>(daemoniker::decode<V>(daemoniker::encode(V(std::string("s")))));
    EXPECT_EQ(std::get<1>(b), "s");
}

TEST(CodecMalformed, EmptyInputFails) {
    EXPECT_THROW((void)daemoniker::decode<int>(""), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<bool>(""), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::string>(""), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<double>(""), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::optional<int>>(""), DecodeError);
}

TEST(CodecMalformed, IntegerOutOfRangeForNarrowerType) {
    EXPECT_EQ(std::get<0>(daemoniker::decode<std::int8_t>(daemoniker::encode(std::int64_t{127}))), 127);
    EXPECT_EQ(std::get<0>(daemoniker::decode<std::int8_t>(daemoniker::encode(std::int64_t{-128}))), -128);
    EXPECT_THROW((void)daemoniker::decode<std::int8_t>(daemoniker::encode(std::int64_t{128})), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::int8_t>(daemoniker::encode(std::int64_t{-129})), DecodeError);
    EXPECT_EQ(std::get<0>(daemoniker::decode<std::uint8_t>(daemoniker::encode(std::uint64_t{255}))), 255);
    EXPECT_THROW((void)daemoniker::decode<std::uint8_t>(daemoniker::encode(std::uint64_t{256})), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::int16_t>(daemoniker::encode(std::int32_t{32768})), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::uint16_t>(daemoniker::encode(std::uint32_t{65536})), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::int32_t>(
                     daemoniker::encode(std::int64_t{std::numeric_limits<std::int32_t>::max()} + 1)),
                 DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::int32_t>(
                     daemoniker::encode(std::int64_t{std::numeric_limits<std::int32_t>::min()} - 1)),
                 DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::uint32_t>(daemoniker::encode(std::uint64_t{1} << 32)), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<char16_t>(daemoniker::encode(std::uint32_t{0x10000})), DecodeError);
    // Enums are checked against their underlying type.
    EXPECT_THROW((void)daemoniker::decode<Color>(daemoniker::encode(std::uint16_t{256})), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<Unscoped16>(daemoniker::encode(std::int32_t{40000})), DecodeError);
    // Code units of wide strings too.
    std::string u16;
    daemoniker::Encoder e(u16);
    e.put_size(1);
    e.put_varint(0x10000);
    EXPECT_THROW((void)daemoniker::decode<std::u16string>(u16), DecodeError);
    EXPECT_EQ(std::get<0>(daemoniker::decode<std::u32string>(u16)), U"\U00010000");
    const std::string wide_too_big = varint(1) + varint(std::uint64_t{1} << 32);
    EXPECT_THROW((void)daemoniker::decode<std::wstring>(wide_too_big), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::u32string>(wide_too_big), DecodeError);
}

TEST(CodecMalformed, BoolMustBeZeroOrOne) {
    EXPECT_THROW((void)daemoniker::decode<bool>("\x02"s), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<bool>("\xff\x01"s), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<bool>(varint(std::uint64_t{1} << 32)), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::optional<int>>("\x02\x00"s), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::vector<bool>>("\x02\x01\x02"s), DecodeError);
    EXPECT_TRUE(std::get<0>(daemoniker::decode<bool>("\x01"s)));
    EXPECT_FALSE(std::get<0>(daemoniker::decode<bool>("\x00"s)));
}

TEST(CodecMalformed, HugeClaimedCountFailsWithoutAllocating) {
    using IntMap = std::map<int, int>;
    using IntHashMap = std::unordered_map<int, int>;
    const std::string huge = varint(std::uint64_t{1} << 62) + std::string(16, '\x01');

    AllocationLog::reset();
    EXPECT_THROW((void)daemoniker::decode<CountedVector<std::uint64_t>>(huge), DecodeError);
    EXPECT_EQ(AllocationLog::calls, 0u);
    EXPECT_EQ(AllocationLog::bytes, 0u);

    AllocationLog::reset();
    EXPECT_THROW((void)daemoniker::decode<CountedString<char>>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<CountedString<char16_t>>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<CountedString<wchar_t>>(huge), DecodeError);
    EXPECT_EQ(AllocationLog::bytes, 0u);

    // One more than the bytes left is refused before anything is reserved.
    AllocationLog::reset();
    EXPECT_THROW((void)daemoniker::decode<CountedVector<std::uint64_t>>(varint(17) + std::string(16, '\x01')),
                 DecodeError);
    EXPECT_EQ(AllocationLog::bytes, 0u);

    // Without the counting allocator: a trusted count would surface as
    // std::length_error or std::bad_alloc, not DecodeError.
    EXPECT_THROW((void)daemoniker::decode<std::vector<char>>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::vector<std::uint64_t>>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::deque<int>>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::list<int>>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::string>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::wstring>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::filesystem::path>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<IntMap>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<IntHashMap>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::set<int>>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::unordered_set<int>>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::vector<bool>>(huge), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::vector<std::vector<int>>>(varint(3) + huge), DecodeError);
}

TEST(CodecMalformed, OverlongVarintFails) {
    // The largest value takes ten bytes and decodes.
    EXPECT_EQ(std::get<0>(daemoniker::decode<std::uint64_t>("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s)),
              std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(std::get<0>(daemoniker::decode<std::uint64_t>("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"s)),
              std::uint64_t{1} << 63);
    // A tenth byte that carries more than the 64th bit overflows.
    EXPECT_THROW((void)daemoniker::decode<std::uint64_t>("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"s), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::uint64_t>("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"s), DecodeError);
    // An eleventh byte is never allowed, even with zero bits in it.
    EXPECT_THROW((void)daemoniker::decode<std::uint64_t>("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"s), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::uint64_t>("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00"s), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::uint64_t>(std::string(64, '\x80') + '\x00'), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::int64_t>(std::string(64, '\xff')), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::string>(std::string(11, '\x80') + '\x00'), DecodeError);
}

TEST(CodecMalformed, VariantIndexOutOfRange) {
    using V = std::variant<int, std::string>;
    EXPECT_EQ(std::get<0>(daemoniker::decode<V>("\x01\x00"s)), V{std::string()});
    EXPECT_THROW((void)daemoniker::decode<V>("\x02\x00"s), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<V>(varint(std::uint64_t{1} << 62) + "\x00"), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<V>(varint(std::numeric_limits<std::uint64_t>::max()) + "\x00"), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::variant<std::monostate>>("\x01"s), DecodeError);
}

TEST(CodecMalformed, DuplicateKeysFail) {
    using Map = std::map<int, std::string>;
    using HashMap = std::unordered_map<int, std::string>;
    std::string map_bytes;
    {
        daemoniker::Encoder e(map_bytes);
        e.put_size(2);
        e.put(1);
        e.put(std::string("a"));
        e.put(1);
        e.put(std::string("b"));
    }
    EXPECT_THROW((void)daemoniker::decode<Map>(map_bytes), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<HashMap>(map_bytes), DecodeError);

    std::string set_bytes;
    {
        daemoniker::Encoder e(set_bytes);
        e.put_size(3);
        e.put(std::string("x"));
        e.put(std::string("y"));
        e.put(std::string("x"));
    }
    EXPECT_THROW((void)daemoniker::decode<std::set<std::string>>(set_bytes), DecodeError);
    EXPECT_THROW((void)daemoniker::decode<std::unordered_set<std::string>>(set_bytes), DecodeError);

    // The same bytes with distinct keys decode.
    std::string distinct;
    {
        daemoniker::Encoder e(distinct);
        e.put_size(2);
        e.put(1);
        e.put(std::string("a"));
        e.put(2);
        e.put(std::string("b"));
    }
    const auto m = std::get<0>(daemoniker::decode<std::map<int, std::string>>(distinct));
    EXPECT_EQ(m, (std::map<int, std::string>{{1, "a"}, {2, "b"}}));
}

TEST(CodecMalformed, ErrorNamesTheOffset) {
    try {
        (void)daemoniker::decode<std::string>("\x05" "ab"s);
        FAIL() << "a truncated string decoded";
    } catch (const DecodeError& e) {
        EXPECT_NE(std::string(e.what()).find("byte 1"), std::string::npos) << e.what();
        EXPECT_FALSE(e.code());
    }
}

// A path whose bytes are not UTF-8: Windows cannot convert it to UTF-16 (the
// standard library throws filesystem_error), so it must be a DecodeError
// there like any malformed input; POSIX keeps the bytes (found by the handoff fuzzer).
TEST(CodecMalformed, PathThatIsNotUtf8) {
    const std::string payload = "\x03" "a\xff" "b"s;
#ifdef _WIN32
    EXPECT_THROW((void)daemoniker::decode<std::filesystem::path>(payload), DecodeError);
#else
    EXPECT_EQ(std::get<0>(daemoniker::decode<std::filesystem::path>(payload)).native(), "a\xff" "b");
#endif
}

} // namespace
