// The command line on Windows: split from GetCommandLineW() by
// CommandLineToArgvW, then converted to UTF-8. (Its rules and the C
// runtime's differ only on "" inside quotes, which the library's
// quote_argument() never writes.)

#include "command_line.hpp"

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <shellapi.h>

namespace daemoniker::cli {

std::vector<std::string> command_line(int argc, char** argv) {
    int count = 0;
    wchar_t** wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
    if (wide == nullptr) { // out of memory: the ANSI copy, converted, is still better than nothing
        std::vector<std::string> out;
        for (int i = 1; i < argc; ++i) {
            const int n = ::MultiByteToWideChar(CP_ACP, 0, argv[i], -1, nullptr, 0);
            std::wstring text(n > 0 ? static_cast<std::size_t>(n) : 1, L'\0');
            if (n > 0) ::MultiByteToWideChar(CP_ACP, 0, argv[i], -1, text.data(), n);
            text.resize(text.size() - 1); // the terminating null
            out.push_back(detail::win::narrow(text));
        }
        return out;
    }
    std::vector<std::string> out;
    for (int i = 1; i < count; ++i) out.push_back(detail::win::narrow(wide[i]));
    ::LocalFree(static_cast<HLOCAL>(wide));
    return out;
}

} // namespace daemoniker::cli
