#pragma once
/// \file
/// Umbrella header: everything daemoniker offers.

#include <daemoniker/codec.hpp>
#include <daemoniker/daemonize.hpp>
#include <daemoniker/errors.hpp>
#include <daemoniker/notify.hpp>
#include <daemoniker/options.hpp>
#include <daemoniker/pid_file.hpp>
#include <daemoniker/signals.hpp>
#include <daemoniker/version.hpp>
