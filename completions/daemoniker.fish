# fish completion for daemoniker(1): subcommands, their options, signal names
# (from `daemoniker --list-signals`), users, groups and file names.

set -l commands start stop status send restart service

function __daemoniker_signals
    set -l cmd (commandline -opc)[1]
    $cmd --list-signals 2>/dev/null; or printf '%s\n' HUP INT QUIT KILL USR1 USR2 TERM CONT STOP
end

# True once start's or restart's program name was typed (or --): everything
# from there on is the program's, never daemoniker's options.
function __daemoniker_in_program
    set -l words (commandline -opc)
    set -l with_value -p --pid-file -d --chdir --stdin --stdout --stderr --umask --keep-fd --timeout \
        -u --user -g --group --chroot --nice --iosched --rlimit --env-file -e --env -s --signal -R --retry
    set -l seen_command 0
    set -l skip 0
    for word in $words[2..-1]
        if test $skip -eq 1
            set skip 0
        else if test $seen_command -eq 0
            contains -- $word start restart; and set seen_command 1
            contains -- $word stop status send service; and return 1
        else if test "$word" = --
            return 0
        else if contains -- $word $with_value
            set skip 1
        else if not string match -q -- '-*' $word
            return 0
        end
    end
    return 1
end

complete -c daemoniker -f
complete -c daemoniker -n "not __fish_seen_subcommand_from $commands" -s h -l help -d 'Print help and exit'
complete -c daemoniker -n "not __fish_seen_subcommand_from $commands" -l version -d 'Print the version and exit'
complete -c daemoniker -n "not __fish_seen_subcommand_from $commands" -l list-signals -d 'Print the signal names stop and send accept'
complete -c daemoniker -n "not __fish_seen_subcommand_from $commands" -a start -d 'Start a program as a daemon with a locked PID file'
complete -c daemoniker -n "not __fish_seen_subcommand_from $commands" -a stop -d 'Stop the daemon of a PID file'
complete -c daemoniker -n "not __fish_seen_subcommand_from $commands" -a status -d 'Tell whether the daemons of PID files run'
complete -c daemoniker -n "not __fish_seen_subcommand_from $commands" -a send -d 'Send a signal to the daemon of a PID file'
complete -c daemoniker -n "not __fish_seen_subcommand_from $commands" -a restart -d 'Stop the daemon, then start the program again'
complete -c daemoniker -n "not __fish_seen_subcommand_from $commands" -a service -d 'Windows only: run a program as a Windows service'

complete -c daemoniker -n "__fish_seen_subcommand_from $commands; and not __daemoniker_in_program" -s h -l help -d 'Print help and exit'

# start and restart
set -l starting "__fish_seen_subcommand_from start restart; and not __daemoniker_in_program"
complete -c daemoniker -n $starting -s p -l pid-file -r -F -d 'The PID file'
complete -c daemoniker -n $starting -s d -l chdir -r -a '(__fish_complete_directories)' -d 'Working directory of the program'
complete -c daemoniker -n $starting -l stdin -r -F -d 'File for standard input'
complete -c daemoniker -n $starting -l stdout -r -F -d 'File for standard output'
complete -c daemoniker -n $starting -l stderr -r -F -d 'File for standard error'
complete -c daemoniker -n $starting -l umask -x -d 'File-creation mask, octal'
complete -c daemoniker -n $starting -l keep-fd -x -d 'A descriptor the program inherits'
complete -c daemoniker -n $starting -l timeout -x -d 'Seconds to wait for the start'
complete -c daemoniker -n $starting -s u -l user -x -a '(__fish_complete_users)' -d 'Run as this user'
complete -c daemoniker -n $starting -s g -l group -x -a '(__fish_complete_groups)' -d 'Run with this group'
complete -c daemoniker -n $starting -l chroot -r -a '(__fish_complete_directories)' -d 'Root directory of the program'
complete -c daemoniker -n $starting -l core -d 'Allow core dumps'
complete -c daemoniker -n $starting -l no-core -d 'Prevent core dumps'
complete -c daemoniker -n $starting -l nice -x -d 'Nice value, -20 to 19'
complete -c daemoniker -n $starting -l iosched -x -a 'real-time best-effort idle' -d 'I/O scheduling CLASS[:LEVEL]'
complete -c daemoniker -n $starting -l rlimit -x -d 'Resource limit NAME=SOFT[:HARD]'
complete -c daemoniker -n $starting -l env-file -r -F -d 'Read NAME=value lines from a file'
complete -c daemoniker -n $starting -s e -l env -x -d 'Set NAME=value in the environment'
complete -c daemoniker -n $starting -l wait-ready -d 'Return once the program sent READY=1'
complete -c daemoniker -n $starting -a '(__fish_complete_command)' -d 'Program'
# The program's arguments: files.
complete -c daemoniker -n __daemoniker_in_program -F

# stop and restart
set -l stopping "__fish_seen_subcommand_from stop restart; and not __daemoniker_in_program"
complete -c daemoniker -n $stopping -s s -l signal -x -a '(__daemoniker_signals)' -d 'The signal to send first'
complete -c daemoniker -n $stopping -s R -l retry -x -d 'What to do until the daemon exits'
complete -c daemoniker -n $stopping -l process-group -d "Signal the daemon's process group"
complete -c daemoniker -n "__fish_seen_subcommand_from stop" -F -d 'PID file'

# status
complete -c daemoniker -n "__fish_seen_subcommand_from status" -l strict -d 'Trust only a locked PID file'
complete -c daemoniker -n "__fish_seen_subcommand_from status" -l json -d 'Print one JSON object per PID file'
complete -c daemoniker -n "__fish_seen_subcommand_from status" -F -d 'PID file'

# send: the PID file, then the signal
complete -c daemoniker -n "__fish_seen_subcommand_from send; and test (count (commandline -opc)) -eq 2" -F -d 'PID file'
complete -c daemoniker -n "__fish_seen_subcommand_from send; and test (count (commandline -opc)) -eq 3" -a '(__daemoniker_signals)' -d 'Signal'
