// The command line on Windows: split from GetCommandLineW() by
// CommandLineToArgvW (the rules the C runtime also follows, and that the
// library's quote_argument() writes for), then converted to UTF-8.

#include "command_line.hpp"

#include "win.hpp" // the library's internal Win32 helpers

#include <shellapi.h>

namespace daemoniker::cli {

std::vector<std::string> command_line(int argc, char** argv) {
    int count = 0;
    wchar_t** wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
    if (wide == nullptr) { // out of memory: the ANSI copy is still better than nothing
        return argc > 1 ? std::vector<std::string>(argv + 1, argv + argc) : std::vector<std::string>{};
    }
    std::vector<std::string> out;
    for (int i = 1; i < count; ++i) out.push_back(detail::win::narrow(wide[i]));
    ::LocalFree(static_cast<HLOCAL>(wide));
    return out;
}

} // namespace daemoniker::cli
