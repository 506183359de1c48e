# bash completion for daemoniker(1): subcommands, their options, signal names
# (from `daemoniker --list-signals`, so the system's own), users, groups,
# and file names for PID files, streams and the program.

# Appends what compgen offers to COMPREPLY, one entry per line, so that a
# name with blanks or glob characters stays one entry, unexpanded.
_daemoniker_add() {
    local entry
    while IFS= read -r entry; do
        COMPREPLY+=("$entry")
    done < <(compgen "$@")
}

_daemoniker_signals() {
    local names
    names=$("${COMP_WORDS[0]}" --list-signals 2>/dev/null) ||
        names="HUP INT QUIT KILL USR1 USR2 TERM CONT STOP"
    # Upper case as listed; lower case when the user started so.
    if [[ $1 == [a-z]* ]]; then
        names=${names,,}
    fi
    _daemoniker_add -W "$names" -- "$1"
}

_daemoniker_files() {
    compopt -o filenames 2>/dev/null
    _daemoniker_add -f -- "$1"
}

_daemoniker() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()

    # The subcommand, and where its positional arguments begin.
    local cmd= i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        start | stop | status | send | restart | service)
            cmd=${COMP_WORDS[i]}
            break
            ;;
        esac
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=()
            _daemoniker_add -W "-h --help --version --list-signals" -- "$cur"
        else
            COMPREPLY=()
            _daemoniker_add -W "start stop status send restart service" -- "$cur"
        fi
        return 0
    fi

    local start_opts="-p --pid-file -d --chdir --stdin --stdout --stderr --umask --keep-fd --timeout
        -u --user -g --group --chroot --core --no-core --nice --iosched --rlimit --env-file -e --env
        --wait-ready -h --help"
    local start_args="-p --pid-file -d --chdir --stdin --stdout --stderr --umask --keep-fd --timeout
        -u --user -g --group --chroot --nice --iosched --rlimit --env-file -e --env"
    local stop_opts="-s --signal -R --retry --process-group -h --help"
    local stop_args="-s --signal -R --retry"
    local opts args
    case $cmd in
    start) opts=$start_opts args=$start_args ;;
    stop) opts=$stop_opts args=$stop_args ;;
    status) opts="--strict --json -h --help" args= ;;
    send) opts="-h --help" args= ;;
    service) opts="-h --help" args= ;; # Windows services: nothing to complete here
    restart) opts="$stop_opts $start_opts" args="$stop_args $start_args" ;;
    esac

    # The value of an option.
    case $prev in
    -p | --pid-file | --stdin | --stdout | --stderr | --env-file)
        _daemoniker_files "$cur"
        return 0
        ;;
    -d | --chdir | --chroot)
        compopt -o filenames 2>/dev/null
        COMPREPLY=()
        _daemoniker_add -d -- "$cur"
        return 0
        ;;
    -u | --user)
        COMPREPLY=()
        _daemoniker_add -u -- "$cur"
        return 0
        ;;
    -g | --group)
        COMPREPLY=()
        _daemoniker_add -g -- "$cur"
        return 0
        ;;
    -e | --env)
        compopt -o nospace 2>/dev/null
        COMPREPLY=()
        _daemoniker_add -e -S = -- "$cur"
        return 0
        ;;
    -s | --signal)
        _daemoniker_signals "$cur"
        return 0
        ;;
    --umask | --keep-fd | --timeout | -R | --retry | --nice)
        return 0 # a number or a schedule: nothing to offer
        ;;
    --iosched)
        COMPREPLY=()
        _daemoniker_add -W "real-time best-effort idle" -- "$cur"
        return 0
        ;;
    --rlimit)
        compopt -o nospace 2>/dev/null
        COMPREPLY=()
        _daemoniker_add -S = -W "as core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime sigpending stack" -- "$cur"
        return 0
        ;;
    esac

    # The positional arguments typed so far (option values skipped), and
    # for start and restart whether the program has begun: everything from
    # its name (or after --) on is the program's.
    local positionals=0 program_at=0 word
    for ((i = i + 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -- ]]; then
            program_at=$((i + 1))
            break
        elif [[ $word == -* ]]; then
            [[ " ${args//$'\n'/ } " == *" $word "* ]] && ((i++))
        else
            ((positionals++))
            if [[ $cmd == start || $cmd == restart ]]; then
                program_at=$i
                break
            fi
        fi
    done

    if ((program_at > 0)); then
        if ((COMP_CWORD == program_at)); then
            compopt -o filenames 2>/dev/null
            COMPREPLY=()
            _daemoniker_add -c -- "$cur"
        else
            _daemoniker_files "$cur"
        fi
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=()
        _daemoniker_add -W "$opts" -- "$cur"
        return 0
    fi
    case $cmd in
    start | restart)
        compopt -o filenames 2>/dev/null
        COMPREPLY=()
        _daemoniker_add -c -- "$cur"
        ;;
    stop | status) _daemoniker_files "$cur" ;;
    send)
        if ((positionals == 0)); then
            _daemoniker_files "$cur"
        elif ((positionals == 1)); then
            _daemoniker_signals "$cur"
        fi
        ;;
    esac
    return 0
}

complete -F _daemoniker daemoniker
