#pragma once
/// \file
/// Symbol visibility for the daemoniker library.

#if defined(DAEMONIKER_STATIC) || !defined(DAEMONIKER_SHARED)
#  define DAEMONIKER_API
#elif defined(_WIN32)
#  ifdef DAEMONIKER_BUILDING
#    define DAEMONIKER_API __declspec(dllexport)
#  else
#    define DAEMONIKER_API __declspec(dllimport)
#  endif
#else
#  define DAEMONIKER_API __attribute__((visibility("default")))
#endif
