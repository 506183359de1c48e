#pragma once
// Which system facilities this POSIX build uses. Every check the library and
// the command make for a facility that not every POSIX system has reads one
// of these macros (1 or 0), decided here from the system's own macros, so a
// BSD or macOS build and a Linux build differ only in what this header finds.
//
// DAEMONIKER_PORTABLE_POSIX (CMake option of the same name) turns every
// Linux-only facility off on Linux too: the build then takes the paths a
// system without them takes, and the Linux test suite runs them. It changes
// nothing else.
//
//   DAEMONIKER_HAVE_CLOSE_RANGE     close_range(2) (Linux >= 5.9, FreeBSD >= 12.2)
//   DAEMONIKER_HAVE_PROC            the proc(5) file system: /proc/self/fd,
//                                   /proc/self/task, /proc/PID/stat, /status,
//                                   /exe, /proc/uptime
//   DAEMONIKER_HAVE_OFD_LOCKS       F_OFD_SETLK / F_OFD_GETLK (Linux >= 3.15)
//   DAEMONIKER_HAVE_O_TMPFILE       O_TMPFILE + linkat (through /proc/self/fd)
//   DAEMONIKER_HAVE_PIDFD           pidfd_open(2), pidfd_send_signal(2) (Linux >= 5.3)
//   DAEMONIKER_HAVE_PDEATHSIG       prctl(PR_SET_PDEATHSIG)
//   DAEMONIKER_HAVE_SUBREAPER       prctl(PR_SET_CHILD_SUBREAPER)
//   DAEMONIKER_HAVE_DUMPABLE        prctl(PR_SET_DUMPABLE), the core-dump flag
//                                   that a change of credentials clears
//   DAEMONIKER_HAVE_IOPRIO          ioprio_set(2), the I/O scheduling class
//   DAEMONIKER_HAVE_SCM_CREDENTIALS SO_PASSCRED / SCM_CREDENTIALS on AF_UNIX
//   DAEMONIKER_HAVE_SIGNALFD        signalfd(2)
//   DAEMONIKER_HAVE_PIPE2           pipe2(2) (POSIX 2024; Linux, the BSDs, not macOS)
//   DAEMONIKER_HAVE_SOCK_CLOEXEC    SOCK_CLOEXEC, SOCK_NONBLOCK for socket(2) (not macOS)
//   DAEMONIKER_HAVE_MSG_NOSIGNAL    MSG_NOSIGNAL for send(2) (not macOS)
//
// And one constant: DAEMONIKER_NSIG, one more than the highest signal
// number (NSIG is not in POSIX.1-2008; every system has it by default).
//
// Headers that define the system's macros are included here, so that a
// check never depends on what the including file happened to include first.

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

// syscall(2): glibc declares it only with _DEFAULT_SOURCE or _GNU_SOURCE,
// which a build that asks for strict POSIX (-D_POSIX_C_SOURCE) does not get.
#if defined(__linux__) && (defined(_DEFAULT_SOURCE) || defined(_GNU_SOURCE))
#define DAEMONIKER_LINUX_SYSCALL 1
#else
#define DAEMONIKER_LINUX_SYSCALL 0
#endif

#if defined(DAEMONIKER_PORTABLE_POSIX) && DAEMONIKER_PORTABLE_POSIX + 0 == 0
#error "DAEMONIKER_PORTABLE_POSIX is defined as 0: define it (as 1) or leave it undefined"
#endif

#if !defined(DAEMONIKER_PORTABLE_POSIX) && DAEMONIKER_LINUX_SYSCALL && defined(SYS_close_range)
#define DAEMONIKER_HAVE_CLOSE_RANGE 1
#elif !defined(DAEMONIKER_PORTABLE_POSIX) && defined(__FreeBSD__)
#include <sys/syscall.h>
#if defined(SYS_close_range)
#define DAEMONIKER_HAVE_CLOSE_RANGE 1
#else
#define DAEMONIKER_HAVE_CLOSE_RANGE 0
#endif
#else
#define DAEMONIKER_HAVE_CLOSE_RANGE 0
#endif

// Only Linux has a proc(5) with these files (the BSDs' optional procfs has
// other formats, macOS none).
#if !defined(DAEMONIKER_PORTABLE_POSIX) && defined(__linux__)
#define DAEMONIKER_HAVE_PROC 1
#else
#define DAEMONIKER_HAVE_PROC 0
#endif

#if !defined(DAEMONIKER_PORTABLE_POSIX) && defined(F_OFD_SETLK) && defined(F_OFD_GETLK)
#define DAEMONIKER_HAVE_OFD_LOCKS 1
#else
#define DAEMONIKER_HAVE_OFD_LOCKS 0
#endif

// linkat() of an O_TMPFILE inode goes through /proc/self/fd/N.
#if !defined(DAEMONIKER_PORTABLE_POSIX) && defined(O_TMPFILE) && DAEMONIKER_HAVE_PROC
#define DAEMONIKER_HAVE_O_TMPFILE 1
#else
#define DAEMONIKER_HAVE_O_TMPFILE 0
#endif

#if !defined(DAEMONIKER_PORTABLE_POSIX) && DAEMONIKER_LINUX_SYSCALL && defined(SYS_pidfd_open) && \
    defined(SYS_pidfd_send_signal)
#define DAEMONIKER_HAVE_PIDFD 1
#else
#define DAEMONIKER_HAVE_PIDFD 0
#endif

#if !defined(DAEMONIKER_PORTABLE_POSIX) && defined(__linux__) && defined(PR_SET_PDEATHSIG)
#define DAEMONIKER_HAVE_PDEATHSIG 1
#else
#define DAEMONIKER_HAVE_PDEATHSIG 0
#endif

#if !defined(DAEMONIKER_PORTABLE_POSIX) && defined(__linux__) && defined(PR_SET_CHILD_SUBREAPER)
#define DAEMONIKER_HAVE_SUBREAPER 1
#else
#define DAEMONIKER_HAVE_SUBREAPER 0
#endif

#if !defined(DAEMONIKER_PORTABLE_POSIX) && defined(__linux__) && defined(PR_SET_DUMPABLE)
#define DAEMONIKER_HAVE_DUMPABLE 1
#else
#define DAEMONIKER_HAVE_DUMPABLE 0
#endif

#if !defined(DAEMONIKER_PORTABLE_POSIX) && DAEMONIKER_LINUX_SYSCALL && defined(SYS_ioprio_set)
#define DAEMONIKER_HAVE_IOPRIO 1
#else
#define DAEMONIKER_HAVE_IOPRIO 0
#endif

#if !defined(DAEMONIKER_PORTABLE_POSIX) && defined(SCM_CREDENTIALS) && defined(SO_PASSCRED)
#define DAEMONIKER_HAVE_SCM_CREDENTIALS 1
#else
#define DAEMONIKER_HAVE_SCM_CREDENTIALS 0
#endif

#if !defined(DAEMONIKER_PORTABLE_POSIX) && defined(__linux__)
#define DAEMONIKER_HAVE_SIGNALFD 1
#else
#define DAEMONIKER_HAVE_SIGNALFD 0
#endif

// glibc declares pipe2() only with _GNU_SOURCE; the BSDs always.
#if !defined(DAEMONIKER_PORTABLE_POSIX) &&                                                   \
    ((defined(__linux__) && defined(_GNU_SOURCE)) || defined(__FreeBSD__) || defined(__NetBSD__) || \
     defined(__OpenBSD__) || defined(__DragonFly__))
#define DAEMONIKER_HAVE_PIPE2 1
#else
#define DAEMONIKER_HAVE_PIPE2 0
#endif

#if !defined(DAEMONIKER_PORTABLE_POSIX) && defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
#define DAEMONIKER_HAVE_SOCK_CLOEXEC 1
#else
#define DAEMONIKER_HAVE_SOCK_CLOEXEC 0
#endif

#if !defined(DAEMONIKER_PORTABLE_POSIX) && defined(MSG_NOSIGNAL)
#define DAEMONIKER_HAVE_MSG_NOSIGNAL 1
#else
#define DAEMONIKER_HAVE_MSG_NOSIGNAL 0
#endif

#if defined(NSIG)
#define DAEMONIKER_NSIG NSIG
#elif defined(_NSIG)
#define DAEMONIKER_NSIG _NSIG
#else
// Too high is harmless: sigaction() and sigaddset() refuse what is no signal.
#define DAEMONIKER_NSIG 128
#endif
