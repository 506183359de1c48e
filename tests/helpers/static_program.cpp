// A program linked without shared libraries, for starts inside a chroot that
// holds nothing else: it waits for a signal, at most a minute, so that it
// can never linger, and exits.

#include <unistd.h>

int main() {
    ::alarm(60);
    ::pause();
    return 0;
}
