#pragma once
// Order statistics of a benchmark's samples, as every table prints them.

#include <algorithm>
#include <cstddef>
#include <vector>

namespace bench {

struct Stats {
    double median, p99, min, max;
};

/// Nearest-rank quantiles of `v` (taken by value: it is sorted). Not empty.
inline Stats stats(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))]; };
    return {at(0.5), at(0.99), v.front(), v.back()};
}

} // namespace bench
