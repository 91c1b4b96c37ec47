# demo_sources.sh — sourced by demo.sh when SOURCES names more than keepa alone: the
# progress and summary of several sources served by the same three processes (one line
# per source each second, then a summary per source). Uses demo.sh's BIN, N, NR,
# SOURCES, LOGS, tty, q() and has().

# expected SOURCE: the catalog size the fake of SOURCE serves.
expected() { if [ "$1" = keepa ]; then echo "$N"; else echo "$NR"; fi; }

# source_line SOURCE: sets src_line to "keepa  active 1234/20000  failed 0  queued 56
# tokens 789" and done_of to active + failed.
source_line() {
    local total active failed queued tokens
    IFS='|' read -r total active failed <<<"$(q "SELECT count(*), count(*) FILTER (WHERE status='active'), count(*) FILTER (WHERE status='failed') FROM items WHERE source = '$1'")"
    queued=$(redis-cli -u "$REDIS_URL" --no-auth-warning eval \
        "return redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2])" 2 \
        "freshet:{$1}:queue" "freshet:{$1}:queue:hot" 2>/dev/null)
    tokens=$(redis-cli -u "$REDIS_URL" --no-auth-warning hget "freshet:{$1}:tokens" tokens 2>/dev/null)
    done_of=$(( ${active:-0} + ${failed:-0} ))
    printf -v src_line '%-6s active %6s/%-6s failed %4s  queued %6s  tokens %7s' "$1" "${active:-0}" \
        "$(expected "$1")" "${failed:-0}" "${queued:-0}" "${tokens:-?}"
}

demo_sources() {
    local t0 deadline last_print=0 line all_done s elapsed
    t0=$(date +%s.%N)
    deadline=$(( $(date +%s) + 120 + (N + NR) / 100 ))
    echo "demo: running the fleet for $SOURCES (progress every second; Ctrl-C stops it)"
    echo "demo: to watch it from another terminal:"
    echo "  DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL FRESHET_SOURCE=$SOURCES $BIN/freshetctl status --watch"
    while :; do
        line="" all_done=1
        for s in ${SOURCES//,/ }; do
            source_line "$s"
            line="$line$src_line  |  "
            [ "$done_of" -ge "$(expected "$s")" ] || all_done=0
        done
        line=${line%  |  }
        if [ "$tty" = 1 ]; then
            printf '\r%s' "$line"
        elif [ $(( $(date +%s) - last_print )) -ge 5 ]; then
            echo "$line"
            last_print=$(date +%s)
        fi
        [ "$all_done" = 1 ] && break
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo
            echo "demo: not finished within the time limit; see $LOGS"
            return 1
        fi
        sleep 1
    done
    elapsed=$(awk -v n="$(date +%s.%N)" -v s="$t0" 'BEGIN{printf "%.1f", n-s}')
    [ "$tty" = 1 ] && echo
    echo
    echo "=== summary: $SOURCES served by one scout, one processor and one refresher ==="
    echo "time:               ${elapsed}s"
    for s in ${SOURCES//,/ }; do
        q "SELECT '$s:' || repeat(' ', 19 - length('$s')) || count(*) FILTER (WHERE status = 'active')
                  || ' active / ' || count(*) FILTER (WHERE status = 'failed') || ' failed of $(expected "$s"), '
                  || round(count(*) FILTER (WHERE status = 'active') / $elapsed) || ' items/s, '
                  || (SELECT count(*) FROM item_history h WHERE h.source = '$s') || ' history rows'
             FROM items WHERE source = '$s'"
    done
    if has repos; then
        echo "repos upstream:     $(curl -s "$REPOS_BASE_URL/_test/stats" |
            jq -c '{fetched, fetched_max, rate_limited}' 2>/dev/null)"
    fi
    echo
    echo "sources side by side (freshetctl status):"
    "$BIN/freshetctl" status 2>&1 | sed -n '1,/^$/p'
    echo "logs: $LOGS"
    return 0
}
