#!/usr/bin/env bash
# lib.sh — what the bench scripts (run.sh, freshness.sh) share: background processes
# they start and stop.  The sourcing script keeps the pids it has not stopped yet in the
# array PIDS (stopped at its exit) and the directory for logs in LOGS.

# start NAME CMD...: runs CMD in the background (log in $LOGS/NAME.log); pid in LAST.
start() {
    local name=$1
    shift
    "$@" >"$LOGS/$name.log" 2>&1 &
    LAST=$!
    PIDS+=("$LAST")
}

# Stops pid $1 (TERM, KILL after 15 s), waits for it, forgets it.
stop_pid() {
    local p=$1 i keep=()
    kill -TERM "$p" 2>/dev/null
    for ((i = 0; i < 150; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    for i in "${PIDS[@]}"; do [ "$i" = "$p" ] || keep+=("$i"); done
    PIDS=("${keep[@]}")
}
