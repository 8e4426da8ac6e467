#!/usr/bin/env bash
# `make container-smoke`: build the image, start it, probe it as a sysadmin would, always remove it.
# Called by the Makefile with ENGINE (e.g. "podman --runtime runc" or "docker"), ENGINE_NAME,
# RUN_FLAGS, IMAGE, BUILD (the command that builds the image) and PYTHON (the host's python3).
# NEWTON_LAB_PREFIX, if set in the environment, is passed to the container and used in every probe.
set -euo pipefail
: "${ENGINE:?}" "${ENGINE_NAME:?}" "${IMAGE:?}" "${BUILD:?}"
RUN_FLAGS=${RUN_FLAGS:-}
PYTHON=${PYTHON:-python3}
TIMEOUT=${SMOKE_TIMEOUT:-60}
name="newton-lab-smoke-$$"
prefix=${NEWTON_LAB_PREFIX:-}
prefix=${prefix#/}; prefix=${prefix%/}; prefix=${prefix:+/$prefix}

fail() { echo "container-smoke: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
# Podman without systemd (as here) cannot schedule the periodic health check and says so at every
# run/stop/rm; `podman healthcheck run` below still runs it. Drop only those lines.
engine() { $ENGINE "$@" 2> >(grep -v "unable to get systemd connection" >&2); }
since() { "$PYTHON" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }
cleanup() {
    status=$?
    if [ "$status" -ne 0 ] && $ENGINE inspect "$name" >/dev/null 2>&1; then
        echo "--- last lines of the container's log ---" >&2
        $ENGINE logs "$name" 2>&1 | tail -n 30 >&2 || true
    fi
    engine rm --force "$name" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# 1. Build.
t=$(now)
echo "+ $BUILD"
$BUILD
build_s=$(since "$t")
healthcheck=$($ENGINE image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE")
case "$healthcheck" in *liveness*) ;; *) fail "the image has no HEALTHCHECK (podman needs --format docker): $healthcheck" ;; esac
size_mb=$($ENGINE image inspect --format '{{.Size}}' "$IMAGE" | "$PYTHON" -c "import sys; print(round(int(sys.stdin.read()) / 1e6))")

# 2. Start on a free port; the same number inside and outside, so the default websocket origins
#    (localhost:PORT) still fit.
port=$("$PYTHON" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
publish=(-p "127.0.0.1:$port:$port")
case " $RUN_FLAGS " in *" --network host "*|*" --network=host "*|*" --net=host "*) publish=() ;; esac
health=()
[ "$ENGINE_NAME" = docker ] && health=(--health-interval 2s)
t=$(now)
# shellcheck disable=SC2086  # RUN_FLAGS is a list of flags
engine run --detach --name "$name" $RUN_FLAGS "${publish[@]}" "${health[@]}" \
    -e NEWTON_LAB_PORT="$port" ${prefix:+-e NEWTON_LAB_PREFIX="$prefix"} "$IMAGE" >/dev/null

# 3. Wait (bounded) for the liveness endpoint, then fetch the lab's page.
base="http://127.0.0.1:$port$prefix"
"$PYTHON" - "$base/liveness" "$TIMEOUT" <<'PY' || fail "no HTTP 200 from $base/liveness within ${TIMEOUT} s"
import sys, time, urllib.request
url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while True:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.05)
PY
ready_s=$(since "$t")
"$PYTHON" - "$base/" <<'PY' || fail "$base/ is not the lab's page"
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=30) as response:
    page = response.read().decode("utf-8", "replace")
    sys.exit(0 if response.status == 200 and "<title>Newton Lab</title>" in page else 1)
PY

# 4. The server runs as a non-root user, logs sessions, and the image's own health check passes.
uids=$($ENGINE exec "$name" python -c 'import os; print(os.getuid(), os.stat("/proc/1").st_uid)')
if [[ "$uids" =~ ^([0-9]+)\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" != 0 ] && [ "${BASH_REMATCH[2]}" != 0 ]; then
    uid=${BASH_REMATCH[2]}
else
    fail "runs as root, or cannot tell (uid of exec and of process 1: '$uids')"
fi
sleep 0.5
log=$($ENGINE logs "$name" 2>&1)
grep -q "newton_lab session .* started" <<<"$log" || fail "no 'session … started' line in the log"
if [ "$ENGINE_NAME" = podman ]; then
    $ENGINE healthcheck run "$name" >/dev/null || fail "podman healthcheck run: unhealthy"
else
    for _ in $(seq 1 30); do
        state=$($ENGINE inspect --format '{{.State.Health.Status}}' "$name")
        [ "$state" = healthy ] && break
        sleep 1
    done
    [ "$state" = healthy ] || fail "health status $state"
fi

# 5. Stop: the server must exit on the stop signal, not wait for the engine's kill.
t=$(now)
engine stop --time 10 "$name" >/dev/null
stop_s=$(since "$t")
"$PYTHON" -c "import sys; sys.exit(float(sys.argv[1]) >= 8)" "$stop_s" || fail "stop took $stop_s s: the stop signal was ignored"

echo "container-smoke: PASS ($ENGINE_NAME, image $IMAGE ${size_mb} MB): build ${build_s} s, start→200 ${ready_s} s" \
     "(GET $prefix/ is the lab), uid $uid, healthcheck ok, stop ${stop_s} s"
