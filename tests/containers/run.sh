#!/usr/bin/env bash
# tests/containers/run.sh — `make test-containers`: the image and docker-compose.yml run
# as operators run them, with podman standing in for the Docker engine (no Docker Hub and
# no Docker engine here; see deploy/README.md "With podman").
#
#   1. installs what it needs from Debian (podman, runc, docker-compose, debootstrap, ...)
#      and writes a private containers.conf (runc, cgroupfs, explicit nofile/nproc);
#   2. imports a bare Debian 12 root (tests/harness/minbase.sh) as localhost/debian:12 and
#      a slimmed copy as localhost/debian:12-slim (only when missing: cached);
#   3. checks deploy/k8s against the Kubernetes and KEDA schemas (tests/containers/k8s);
#   4. builds deploy/Dockerfile from them and checks the image (non-root, read-only root,
#      runtime libraries only, `freshet-processor --help`), and builds the test Redis and
#      PostgreSQL images (tests/containers/redis, tests/containers/postgres);
#   5. starts `podman system service` on a private socket and runs the real
#      docker-compose.yml (+ tests/containers/compose.test.yml for the two images) under a
#      private project name:  up -d --profile demo --scale processor=3;
#   6. checks: migrate ran once, every service healthy by its own healthcheck; then
#      `docker kill` of one processor, a crash (SIGKILL from the host) of another, Redis
#      stopped and started; the demo catalog ends all active, nothing failed, three
#      processors healthy; `docker-compose down` within the grace periods.
#
# podman runs healthchecks from systemd timers; on a machine without systemd (this one)
# nothing would run them, so this script runs each container's own healthcheck
# (`podman healthcheck run`) at the interval the compose file gives it.
#
# Cleans up its containers, network, volumes and the service process on any exit
# (failure, Ctrl-C). Prints the image size and each step's time; ends with
# "N passed, N failed" and exits 1 when anything failed. Needs root.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
CACHE=${FRESHET_MINBASE_CACHE:-/var/cache/freshet-test}
PROJECT=freshet-ct-$$
IMAGE=localhost/freshet:containers-test
BASE=localhost/debian:12
SLIM=localhost/debian:12-slim
REDIS_IMAGE=localhost/freshet-test-redis:7
PG_IMAGE=localhost/freshet-test-postgres:15
PROCESSORS=3

T_PASSED=0
T_FAILED=0
STEPS=()
STEP_NAME=""
STEP_START=0
SERVICE_PID=""
HEALTH_PID=""
DIAGNOSED=0
UP_DONE=0

pass() { T_PASSED=$((T_PASSED + 1)); echo "ok - $1"; }
fail() {
    T_FAILED=$((T_FAILED + 1))
    echo "not ok - $1"
    [ $# -gt 1 ] && [ -n "$2" ] && printf '%s\n' "$2" | tail -n 25 | sed 's/^/#   /'
    return 0
}
note() { echo "# $*"; }
now_ms() { date +%s%3N; }
# step NAME: ends the current step (its time is kept for the summary) and starts NAME.
step() {
    local t
    t=$(now_ms)
    [ -n "$STEP_NAME" ] && STEPS+=("$(awk -v n="$STEP_NAME" -v ms=$((t - STEP_START)) 'BEGIN { printf "%-46s %7.1f s", n, ms / 1000 }')")
    STEP_NAME=$1
    STEP_START=$t
    [ -n "$1" ] && echo "# --- $1"
}
# wait_for SECONDS CMD...: runs CMD every half second until it succeeds; 1 at the deadline.
wait_for() {
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -ge "$end" ] && return 1
        sleep 0.5
    done
}

if [ "$(id -u)" != 0 ]; then
    echo "test-containers: needs root (rootful podman, apt-get); run it as root or with sudo"
    echo "0 passed, 1 failed"
    exit 1
fi

WORK=$(mktemp -d /tmp/freshet-containers.XXXXXX) || exit 1
SOCK=$WORK/podman.sock
PROJ=$WORK/project
export CONTAINERS_CONF=$WORK/containers.conf DOCKER_HOST=unix://$SOCK
unset COMPOSE_FILE COMPOSE_PROFILES COMPOSE_PROJECT_NAME POSTGRES_PASSWORD FRESHET_IMAGE

dc() {
    docker-compose --ansi never -p "$PROJECT" --project-directory "$PROJ" \
        -f "$ROOT/docker-compose.yml" -f "$ROOT/tests/containers/compose.test.yml" "$@"
}
# project_ctrs [SERVICE]: names of the project's containers (all states), one a line.
project_ctrs() {
    local f=(--filter "label=com.docker.compose.project=$PROJECT")
    [ $# -gt 0 ] && f+=(--filter "label=com.docker.compose.service=$1")
    podman ps -a "${f[@]}" --format '{{.Names}}' 2>/dev/null | sort
}
state() { podman inspect -f "$1" "$2" 2>/dev/null; }
is_exited() { [ "$(state '{{.State.Status}}' "$1")" = exited ]; }
ctr_healthy() { [ "$(state '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1")" = running/healthy ]; }

diagnose() {
    [ "$DIAGNOSED" = 1 ] && return
    DIAGNOSED=1
    echo "# ===== diagnostics ====="
    if [ "$UP_DONE" = 1 ]; then
        echo "# docker-compose ps:"
        dc ps 2>&1 | sed 's/^/#   /'
    fi
    echo "# podman ps -a (this project):"
    podman ps -a --filter "label=com.docker.compose.project=$PROJECT" \
        --format '{{.Names}} {{.Status}}' 2>&1 | sed 's/^/#   /'
    local c
    for c in $(project_ctrs); do
        echo "# $c: $(state '{{.State.Status}} exit={{.State.ExitCode}} restarts={{.RestartCount}} health={{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c")"
        podman logs --tail 30 "$c" 2>&1 | sed 's/^/#   | /'
    done
    if [ -s "$WORK/health.log" ]; then
        echo "# healthcheck runs (last 20):"
        tail -n 20 "$WORK/health.log" | sed 's/^/#   /'
    fi
    if [ -s "$WORK/service.log" ]; then
        echo "# podman system service log (last 20, without its complaints about systemd):"
        grep -v -e 'systemd connection' -e 'connect to syslog' "$WORK/service.log" | tail -n 20 | sed 's/^/#   /'
    fi
}

cleanup() {
    local rc=$? c v
    trap '' INT TERM
    [ "$T_FAILED" -gt 0 ] && diagnose
    if [ -n "$HEALTH_PID" ]; then kill "$HEALTH_PID" 2>/dev/null; wait "$HEALTH_PID" 2>/dev/null; fi
    # Whatever `docker-compose down` did not remove (a failed or interrupted run).
    c=$(project_ctrs)
    # shellcheck disable=SC2086 # one name per word
    [ -n "$c" ] && podman rm -f -t 0 $c >/dev/null 2>&1
    podman network rm -f "${PROJECT}_default" >/dev/null 2>&1
    v=$(podman volume ls -q --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null)
    # shellcheck disable=SC2086 # one name per word
    [ -n "$v" ] && podman volume rm -f $v >/dev/null 2>&1
    if [ -n "$SERVICE_PID" ]; then kill "$SERVICE_PID" 2>/dev/null; wait "$SERVICE_PID" 2>/dev/null; fi
    rm -rf "$WORK"
    [ -n "$c" ] && echo "# cleanup: removed leftover containers: $(echo "$c" | tr '\n' ' ')"
    [ "$FINISHED" = 0 ] && echo "$T_PASSED passed, $T_FAILED failed"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo; echo "test-containers: interrupted"; T_FAILED=$((T_FAILED + 1)); exit 130' INT TERM

FINISHED=0
finish() {
    FINISHED=1
    step ""
    echo
    echo "# image: $IMAGE_SIZE_LINE"
    echo "# step times:"
    printf '#   %s\n' "${STEPS[@]}"
    echo "$T_PASSED passed, $T_FAILED failed"
    [ "$T_FAILED" -eq 0 ] && exit 0
    exit 1
}
IMAGE_SIZE_LINE="(not built)"

# ---------------------------------------------------------------------------------------
step "dependencies (Debian packages)"
need=()
for p in podman runc docker-compose debootstrap netavark aardvark-dns curl; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
    note "installing: ${need[*]}"
    if apt-get update -qq >"$WORK/apt.log" 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >>"$WORK/apt.log" 2>&1; then
        pass "installed ${need[*]}"
    else
        fail "install ${need[*]}" "$(tail -n 20 "$WORK/apt.log")"
        finish
    fi
else
    pass "podman, runc, docker-compose, debootstrap, netavark, aardvark-dns, curl, node already installed"
fi

# This kernel's hybrid cgroups: runc with cgroupfs; ulimits within what this shell may set.
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[engine.runtimes]
runc = ["/usr/sbin/runc"]
EOF
note "$(podman --version), $(docker-compose --version | head -n 1), $(runc --version | head -n 1)"

# ---------------------------------------------------------------------------------------
step "base images (debootstrap minbase, import)"
# make_slim TAR: a root like debian:12-slim (docs, man pages and translations left out, and
# kept out of later installs, apt's caches cleaned after each install as Docker's Debian
# images do), imported as $SLIM.
make_slim() {
    local d=$WORK/slim
    mkdir -p "$d/root" && tar -C "$d/root" -xf "$1" || return 1
    (
        cd "$d/root" || exit 1
        find usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
        find usr/share/doc -mindepth 1 -depth -type d -empty -delete
        rm -rf usr/share/man/* usr/share/info/* usr/share/lintian/* usr/share/linda/* \
            usr/share/locale/* var/cache/apt/*.bin var/lib/apt/lists/*
        cat >etc/dpkg/dpkg.cfg.d/freshet-test-slim <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
        cat >etc/apt/apt.conf.d/freshet-test-clean <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
APT::AutoRemove::SuggestsImportant "false";
EOF
    ) || return 1
    tar -C "$d/root" -c . | podman import --change 'CMD ["bash"]' - "$SLIM" >/dev/null || return 1
    rm -rf "$d"
}
if podman image exists "$BASE" && podman image exists "$SLIM"; then
    pass "base images $BASE and $SLIM present (cached)"
elif tar=$(bash tests/harness/minbase.sh "$CACHE" 2>"$WORK/minbase.log"); then
    if { podman image exists "$BASE" || podman import --change 'CMD ["bash"]' "$tar" "$BASE" >/dev/null; } &&
        { podman image exists "$SLIM" || make_slim "$tar"; }; then
        pass "imported $BASE and $SLIM from $tar"
    else
        fail "import $tar as $BASE and $SLIM"
        finish
    fi
else
    fail "build the Debian root (tests/harness/minbase.sh)" "$(cat "$WORK/minbase.log")"
    finish
fi
note "$BASE $(podman image inspect -f '{{.Size}}' "$BASE" | awk '{ printf "%.1f MB", $1 / 1e6 }'), $SLIM $(podman image inspect -f '{{.Size}}' "$SLIM" | awk '{ printf "%.1f MB", $1 / 1e6 }')"

# ---------------------------------------------------------------------------------------
step "Kubernetes manifests (schemas, KEDA fields)"
bash tests/containers/k8s/check.sh --install >"$WORK/k8s.out" 2>&1
while IFS= read -r line; do
    kind=${line%% *}
    rest=${line#* }
    name=${rest%%$'\t'*}
    detail=""
    [ "$name" != "$rest" ] && detail=${rest#*$'\t'}
    case "$kind" in
    ok) pass "$name" ;;
    fail) fail "$name" "${detail//$'\v'/$'\n'}" ;;
    skip) fail "$name (the checker could not run)" "$detail" ;;
    *) echo "# $line" ;;
    esac
done <"$WORK/k8s.out"

# ---------------------------------------------------------------------------------------
step "image build (deploy/Dockerfile)"
if podman build -f deploy/Dockerfile --build-arg "BASE_IMAGE=$BASE" --build-arg "RUNTIME_IMAGE=$SLIM" \
    --build-arg "VERSION=$(cat VERSION)" -t "$IMAGE" . >"$WORK/build.log" 2>&1; then
    pass "podman build -f deploy/Dockerfile --build-arg BASE_IMAGE=$BASE --build-arg RUNTIME_IMAGE=$SLIM"
else
    fail "podman build -f deploy/Dockerfile" "$(tail -n 25 "$WORK/build.log")"
    finish
fi
size=$(podman image inspect -f '{{.Size}}' "$IMAGE")
base_size=$(podman image inspect -f '{{.Size}}' "$SLIM")
IMAGE_SIZE_LINE=$(awk -v s="$size" -v b="$base_size" -v i="$IMAGE" \
    'BEGIN { printf "%s %.1f MB (%.1f MB over its base %.1f MB)", i, s / 1e6, (s - b) / 1e6, b / 1e6 }')
note "$IMAGE_SIZE_LINE"

step "image checks"
run_img() { podman run --rm --read-only --cap-drop ALL --security-opt no-new-privileges "$IMAGE" "$@"; }
if out=$(run_img freshet-processor --help 2>&1) && grep -q 'FRESHET_' <<<"$out"; then
    pass "podman run --read-only IMAGE freshet-processor --help (exit 0, lists its variables)"
else
    fail "podman run --read-only IMAGE freshet-processor --help" "$out"
fi
if out=$(run_img sh -c 'for b in freshet-scout freshet-processor freshet-refresher freshetctl freshet-fake-keepa; do "$b" --version || exit 1; done' 2>&1); then
    pass "every binary answers --version in the image ($(head -n 1 <<<"$out"))"
else
    fail "every binary answers --version in the image" "$out"
fi
user=$(podman image inspect -f '{{.Config.User}}' "$IMAGE")
uid=$(run_img id -u 2>&1)
if [ "$uid" = 10001 ] && [ "${user%%:*}" = 10001 ]; then
    pass "non-root: USER $user, id -u in a container is $uid"
else
    fail "non-root image" "USER '$user', id -u '$uid'"
fi
out=$(run_img sh -c 'touch /usr/local/bin/x 2>&1; touch /tmp/x 2>&1' 2>&1)
if grep -q 'Read-only file system' <<<"$out"; then
    pass "root filesystem read-only under --read-only (writes refused)"
else
    fail "root filesystem read-only under --read-only" "$out"
fi
out=$(run_img sh -c 'dpkg-query -W -f "\${Package}\n" | grep -E -- "-dev$|^(gcc|cpp|make|binutils|libc6-dev|pkg-config|pkgconf)(-[0-9]+)?$"; command -v cc gcc make ld; for b in /usr/local/bin/*; do ldd "$b" | grep "not found"; done; true' 2>&1)
if [ -z "$out" ]; then
    pass "runtime libraries only: no -dev package, compiler, make or linker; every library resolves"
else
    fail "runtime libraries only" "$out"
fi

step "test images (Redis, PostgreSQL from Debian)"
for spec in "redis:$REDIS_IMAGE" "postgres:$PG_IMAGE"; do
    dir=${spec%%:*}
    img=${spec#*:}
    if podman build --build-arg "BASE_IMAGE=$SLIM" -t "$img" "tests/containers/$dir" >"$WORK/build-$dir.log" 2>&1; then
        pass "podman build tests/containers/$dir -> $img ($(podman image inspect -f '{{.Size}}' "$img" | awk '{ printf "%.1f MB", $1 / 1e6 }'))"
    else
        fail "podman build tests/containers/$dir" "$(tail -n 25 "$WORK/build-$dir.log")"
        finish
    fi
done

# ---------------------------------------------------------------------------------------
step "podman system service"
podman system service --time=0 "unix://$SOCK" >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!
ping_api() { [ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://d/_ping 2>/dev/null)" = OK ]; }
if wait_for 30 ping_api; then
    pass "podman system service answers /_ping on $SOCK (Docker API $(curl -s --unix-socket "$SOCK" http://d/version | sed -n 's/.*"ApiVersion":"\([^"]*\)".*/\1/p'))"
else
    fail "podman system service answers on $SOCK" "$(tail -n 20 "$WORK/service.log")"
    finish
fi

# The project directory holds only .env, made from .env.example as deploy/README.md says
# for the demo; docker-compose.yml is read from the repository.
mkdir -p "$PROJ"
pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
sed -e "s/change-me/$pw/g" -e 's/^KEEPA_API_KEY=.*/KEEPA_API_KEY=demo/' \
    -e 's/^# *\(COMPOSE_PROFILES=demo\)$/\1/' \
    -e 's|^# *\(KEEPA_BASE_URL=http://fake-keepa:8080\)$|\1|' \
    -e 's/^# *\(FRESHET_SCOUT_INTERVAL=30s\)$/\1/' .env.example >"$PROJ/.env"
echo "FRESHET_IMAGE=$IMAGE" >>"$PROJ/.env"
for want in COMPOSE_PROFILES=demo KEEPA_BASE_URL=http://fake-keepa:8080 KEEPA_API_KEY=demo; do
    grep -qx "$want" "$PROJ/.env" || fail ".env from .env.example sets $want" "the demo lines of .env.example changed"
done

# podman runs healthchecks from systemd timers; without systemd this loop does it: each
# running container of the project has its own healthcheck run (by podman) first one
# interval after it started, then every interval, as the Docker engine schedules them.
health_driver() {
    trap 'exit 0' TERM
    declare -A due=() every=()
    local id started key iv t name rc
    while :; do
        t=$(now_ms)
        while read -r id started name; do
            key=$id@$started
            if [ -z "${due[$key]:-}" ]; then
                iv=$(podman inspect -f '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Interval.Milliseconds}}{{end}}' "$id" 2>/dev/null)
                if [ -z "$iv" ] || [ "$iv" -le 0 ]; then due[$key]=never; continue; fi
                every[$key]=$iv
                due[$key]=$((started * 1000 + iv))
            fi
            [ "${due[$key]}" = never ] && continue
            if [ "$t" -ge "${due[$key]}" ]; then
                podman healthcheck run "$id" >/dev/null 2>&1
                rc=$?
                echo "$(date +%T) $name $([ $rc = 0 ] && echo healthy || echo "failed($rc)")" >>"$WORK/health.log"
                due[$key]=$(($(now_ms) + every[$key]))
            fi
        done < <(podman ps --filter "label=com.docker.compose.project=$PROJECT" \
            --format '{{.ID}} {{.StartedAt}} {{.Names}}' 2>/dev/null)
        sleep 0.5
    done
}
health_driver &
HEALTH_PID=$!

# ---------------------------------------------------------------------------------------
step "docker-compose up -d --profile demo --scale processor=$PROCESSORS"
if dc --profile demo config -q 2>"$WORK/config.err"; then
    pass "docker-compose config with the test override validates"
else
    fail "docker-compose config with the test override" "$(cat "$WORK/config.err")"
    finish
fi
UP_DONE=1
if dc --profile demo up -d --no-build --scale "processor=$PROCESSORS" >"$WORK/up.log" 2>&1; then
    pass "docker-compose up -d (network ${PROJECT}_default; migrate completed before the daemons)"
else
    fail "docker-compose up -d --profile demo --scale processor=$PROCESSORS" "$(cat "$WORK/up.log")"
    finish
fi
sed 's/^/#   /' "$WORK/up.log"

step "every service healthy by its own healthcheck"
# The services `up --profile demo` starts: no profile, or the demo profile (docker-compose
# 1.29's `config --services` lists every profile's).
mapfile -t services < <(dc --profile demo config 2>/dev/null | python3 -c '
import sys, yaml
for name, s in yaml.safe_load(sys.stdin)["services"].items():
    if name != "migrate" and (not s.get("profiles") or "demo" in s["profiles"]):
        print(name)')
# all_healthy: every long-running container of the project is running and healthy, and
# there are $PROCESSORS processors.
all_healthy() {
    local c s n=0
    for s in "${services[@]}"; do
        for c in $(project_ctrs "$s"); do
            [ "$s" = processor ] && n=$((n + 1))
            [ "$(state '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c")" = running/healthy ] || return 1
        done
    done
    [ "$n" -eq "$PROCESSORS" ]
}
if wait_for 180 all_healthy; then
    pass "all ${#services[@]} services healthy (${services[*]}), $PROCESSORS processor replicas"
else
    fail "every service healthy within 180 s"
fi
mig=$(project_ctrs migrate)
if [ "$(wc -w <<<"$mig")" = 1 ] &&
    [ "$(state '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}' "$mig")" = "exited 0 0" ]; then
    pass "migrate ran exactly once: one container, exit 0, never restarted ($(podman logs "$mig" 2>&1 | tail -n 1 | cut -c1-120))"
else
    fail "migrate ran exactly once" "containers: $mig; state: $(state '{{.State.Status}} exit={{.State.ExitCode}} restarts={{.RestartCount}}' "$mig")"
fi
PG_CTR=$(project_ctrs postgres | head -n 1)
psql_q() { podman exec "$PG_CTR" psql -U freshet -d freshet -XAtq -c "$1" 2>&1; }
files=$(find schemas -maxdepth 1 -name '[0-9][0-9][0-9]_*.sql' | wc -l)
applied=$(psql_q "SELECT count(*) FROM schema_migrations")
if [ "$applied" = "$files" ]; then
    pass "schema_migrations holds each of the $files migrations once"
else
    fail "schema_migrations holds each migration once" "$applied rows for $files files"
fi
counts() { psql_q "SELECT count(*) || ' rows, ' || count(*) FILTER (WHERE status = 'active') || ' active, ' || count(*) FILTER (WHERE status = 'failed') || ' failed' FROM items"; }
note "catalog now: $(counts)"

# ---------------------------------------------------------------------------------------
step "Redis stopped and started"
REDIS_CTR=$(project_ctrs redis | head -n 1)
if dc stop redis >"$WORK/redis.log" 2>&1 && [ "$(state '{{.State.Status}} {{.State.ExitCode}}' "$REDIS_CTR")" = "exited 0" ]; then
    pass "docker-compose stop redis (exit 0)"
else
    fail "docker-compose stop redis" "$(cat "$WORK/redis.log"; state '{{.State.Status}} exit={{.State.ExitCode}}' "$REDIS_CTR")"
fi
note "catalog with Redis down: $(counts)"
if dc start redis >>"$WORK/redis.log" 2>&1 && wait_for 60 ctr_healthy "$REDIS_CTR"; then
    pass "docker-compose start redis: healthy again (appendonly data on its volume)"
else
    fail "docker-compose start redis" "$(cat "$WORK/redis.log")"
fi

step "docker kill one processor, crash another"
mapfile -t procs < <(project_ctrs processor)
killed=${procs[0]}
crashed=${procs[1]}
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST "http://d/v1.40/containers/$killed/kill")
if [ "$code" = 204 ] && wait_for 20 is_exited "$killed"; then
    pass "docker kill $killed (POST /containers/$killed/kill, as the docker CLI sends it): exited $(state '{{.State.ExitCode}}' "$killed")"
else
    fail "docker kill $killed" "HTTP $code, state $(state '{{.State.Status}}' "$killed")"
fi
note "catalog at the kill: $(counts)"
# A crash: the process dies without anyone asking the engine (as the OOM killer does).
before=$(state '{{.RestartCount}}' "$crashed")
pid=$(state '{{.State.Pid}}' "$crashed")
restarted() { [ "$(state '{{.State.Status}} {{.RestartCount}}' "$crashed")" = "running $((before + 1))" ]; }
if [ -n "$pid" ] && [ "$pid" -gt 0 ] && kill -KILL "$pid" && wait_for 30 restarted; then
    pass "crash of $crashed (SIGKILL to its process from the host): restarted by its restart policy (unless-stopped), restart count $((before + 1))"
else
    fail "crashed processor restarted by its restart policy" "$(state '{{.State.Status}} exit={{.State.ExitCode}} restarts={{.RestartCount}}' "$crashed")"
fi
# Once the restarted container is healthy, a user's kill would have been restarted by the
# policy too if it ever were (the same exit path in podman, taken earlier).
if wait_for 60 ctr_healthy "$crashed"; then pass "the restarted processor is healthy again"; else
    fail "the restarted processor is healthy again"; fi
if is_exited "$killed" && [ "$(state '{{.RestartCount}}' "$killed")" = 0 ]; then
    pass "the docker-killed processor stays exited: a kill by the user disables the restart policy until the next start (Docker's and podman's documented behaviour)"
else
    fail "the docker-killed processor stays exited" "$(state '{{.State.Status}} restarts={{.RestartCount}}' "$killed")"
fi
if dc start processor >"$WORK/start.log" 2>&1 && wait_for 60 ctr_healthy "$killed"; then
    pass "docker-compose start processor brings it back, healthy"
else
    fail "docker-compose start processor" "$(cat "$WORK/start.log")"
fi

# ---------------------------------------------------------------------------------------
step "demo catalog all active"
fk=$(project_ctrs fake-keepa | head -n 1)
N=$(state '{{.Config.Cmd}}' "$fk" | sed -n 's/.*--products \([0-9]*\).*/\1/p')
[ -n "$N" ] || N=20000
done_q() { [ "$(psql_q "SELECT count(*) FILTER (WHERE status = 'active') FROM items")" = "$N" ]; }
if wait_for 420 done_q; then
    pass "the demo catalog ends all active: $(counts)"
else
    fail "the demo catalog ends all active within 420 s" "$(counts)"
fi
res=$(psql_q "SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE status = 'active'), count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE id !~ '^B0[0-9A-Z]{8}\$') FROM items WHERE source = 'keepa'")
if [ "$res" = "$N|$N|$N|0|0" ]; then
    pass "nothing lost or duplicated: $N ids of the fake's catalog, each once, all active, none failed"
else
    fail "nothing lost or duplicated" "rows|distinct|active|failed|foreign ids = $res (want $N|$N|$N|0|0)"
fi
dead=$(podman exec "$REDIS_CTR" redis-cli LLEN 'freshet:{keepa}:dead' 2>&1)
if [ "$dead" = 0 ]; then pass "no dead letters in Redis"; else fail "no dead letters in Redis" "LLEN dead = $dead"; fi

step "final state"
if wait_for 60 all_healthy; then
    pass "every service healthy, $PROCESSORS processors"
else
    fail "every service healthy at the end"
fi
echo "# docker-compose ps:"
dc ps 2>&1 | sed 's/^/#   /'
[ "$T_FAILED" -gt 0 ] && diagnose

# ---------------------------------------------------------------------------------------
step "docker-compose down"
since=$(date +%s)
t0=$(now_ms)
# `down` removes the containers and their logs: follow them meanwhile, so a container
# that outlives its grace period can be diagnosed from this log.
mkdir -p "$WORK/logs"
for c in $(project_ctrs); do podman logs -f -t "$c" >"$WORK/logs/$c.log" 2>&1 & done
if dc --profile demo down -v >"$WORK/down.log" 2>&1; then
    secs=$((($(now_ms) - t0) / 1000))
    pass "docker-compose down -v in ${secs}s"
else
    fail "docker-compose down -v" "$(cat "$WORK/down.log")"
fi
UP_DONE=0
# Every container that was running stopped on SIGTERM (SIGINT for PostgreSQL) by itself:
# exit 0, not 137 (killed when its stop_grace_period ran out).
podman events --stream=false --since "$since" --filter event=died \
    --format '{{.Name}} {{.ContainerExitCode}}' 2>/dev/null |
    grep "^${PROJECT}_" | sort -u >"$WORK/died"
bad=$(awk '$2 != 0' "$WORK/died")
stopped=$(wc -l <"$WORK/died")
if [ "$stopped" -gt 0 ] && [ -z "$bad" ]; then
    pass "down stopped $stopped containers within their grace periods (all exit 0: none killed at the deadline)"
else
    fail "down stopped every container within its grace period" "${bad:-no died events recorded}"
    for c in $(echo "$bad" | awk '{ print $1 }'); do
        echo "# last lines of $c before it was killed:"
        tail -n 40 "$WORK/logs/$c.log" 2>/dev/null | cut -c1-400 | sed 's/^/#   | /'
    done
fi
left=$(project_ctrs)
if [ -z "$left" ] && ! podman network exists "${PROJECT}_default"; then
    pass "down removed the containers and the network"
else
    fail "down removed the containers and the network" "left: $left"
fi

finish
