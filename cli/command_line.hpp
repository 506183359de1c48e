#pragma once
// The command line as UTF-8, on every platform, and paths made from it.
//
// On POSIX the bytes of argv are passed through as they are. On Windows the
// char** argv that main() receives is in the ANSI code page, which cannot
// hold most of Unicode (a Japanese file name arrives as "??"), so the
// arguments are read again from the UTF-16 command line. Once the text is
// UTF-8, a std::filesystem::path must be built from it as UTF-8:
// path(std::string) would take the native narrow encoding, which on Windows
// is not UTF-8 (libstdc++ there reads each byte as one character).

#include <filesystem>
#include <string>
#include <vector>

namespace daemoniker::cli {

/// The arguments after the program's name, UTF-8 encoded.
std::vector<std::string> command_line(int argc, char** argv);

/// A path from command-line text (UTF-8 on Windows; bytes, unchanged, on POSIX).
inline std::filesystem::path path_arg(const std::string& text) {
#ifdef _WIN32
    return std::filesystem::path(std::u8string(text.begin(), text.end()));
#else
    return std::filesystem::path(text);
#endif
}

} // namespace daemoniker::cli
