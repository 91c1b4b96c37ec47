#!/bin/sh
# Entry point of the test Redis image: runs redis-server as the redis user in /data,
# reachable from other containers (no config file, so protected mode is turned off
# the way the official image does it). Any other command runs as given.
set -eu
if [ "${1:-}" = redis-server ]; then
    shift
    if [ "$(id -u)" = 0 ]; then
        chown -R redis:redis /data
        exec setpriv --reuid=redis --regid=redis --init-groups \
            redis-server --dir /data --protected-mode no "$@"
    fi
    exec redis-server --dir /data --protected-mode no "$@"
fi
exec "$@"
