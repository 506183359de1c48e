#pragma once
/// \file
/// Library version.

#define DAEMONIKER_VERSION_MAJOR 0
#define DAEMONIKER_VERSION_MINOR 1
#define DAEMONIKER_VERSION_PATCH 0

namespace daemoniker {
inline constexpr const char* version_string = "0.1.0";
}
