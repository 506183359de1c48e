// Windows has no service manager speaking sd_notify: nothing to send.

#include <daemoniker/notify.hpp>

namespace daemoniker {

bool notify(std::string_view, std::error_code& ec) noexcept {
    ec.clear();
    return false;
}

} // namespace daemoniker
