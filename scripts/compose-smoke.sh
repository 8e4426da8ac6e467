#!/usr/bin/env bash
# `make compose-smoke`: build the images, bring deploy/docker-compose.yml up (two labs behind nginx) on
# a free port, probe it through nginx as students would, always tear it down.
# Called by the Makefile with ENGINE (e.g. "podman --runtime runc" or "docker"), ENGINE_NAME, GLOBAL_FLAGS
# (podman's own flags, "--runtime runc", for podman-compose's --podman-args), RUN_FLAGS,
# IMAGE, BUILD (builds the lab image), BUILD_NGINX (builds the local nginx image, or empty),
# NGINX_IMAGE (empty: the compose file's nginx:1.27), PYTHON (the host's python3) and STUDENT_PYTHON
# (a python with Bokeh, the repo's .venv: if it has none, the students are skipped).
# The compose command is `docker compose` (or docker-compose) with docker, podman-compose with podman;
# COMPOSE=… overrides it.
set -euo pipefail
: "${ENGINE:?}" "${ENGINE_NAME:?}" "${IMAGE:?}" "${BUILD:?}"
RUN_FLAGS=${RUN_FLAGS:-}
GLOBAL_FLAGS=${GLOBAL_FLAGS:-}
PYTHON=${PYTHON:-python3}
STUDENT_PYTHON=${STUDENT_PYTHON:-}
STUDENTS=${SMOKE_STUDENTS:-12}
TIMEOUT=${SMOKE_TIMEOUT:-90}
REPO=$(cd "$(dirname "$0")/.." && pwd)
FILE=$REPO/deploy/docker-compose.yml
project="newton-lab-smoke-$$"

fail() { echo "compose-smoke: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { "$PYTHON" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

# The compose command, as an array.
if [ -n "${COMPOSE:-}" ]; then
    read -r -a compose <<<"$COMPOSE"
elif [ "$ENGINE_NAME" = podman ]; then
    command -v podman-compose >/dev/null || fail "no podman-compose (Debian: apt-get install -y podman-compose)"
    compose=(podman-compose)
    if [ -n "${GLOBAL_FLAGS// /}" ]; then compose+=(--podman-args "$GLOBAL_FLAGS"); fi
    if [ -n "${RUN_FLAGS// /}" ]; then compose+=(--podman-run-args "$RUN_FLAGS"); fi
elif docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null; then
    compose=(docker-compose)
else
    fail "neither 'docker compose' nor docker-compose found"
fi
case "${compose[0]}" in  # for the verdict
    podman-compose) compose_name="podman-compose $(podman-compose -v 2>/dev/null | sed -n 's/^podman-compose.* version *//p' | head -n 1)" ;;
    docker) compose_name="docker compose $(docker compose version --short 2>/dev/null || true)" ;;
    *) compose_name="${compose[*]}" ;;
esac
# Drop podman's complaints that there is no systemd to schedule health checks (as container-smoke does).
quiet() { "$@" >>"$log" 2> >(grep -v "systemd connection" >>"$log"); }
compose_cmd() { quiet "${compose[@]}" -p "$project" -f "$FILE" "$@"; }
container_of() {  # the container of a service: docker compose and podman-compose both label them so
    $ENGINE ps -a --filter "label=com.docker.compose.project=$project" \
        --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -n 1
}

cleanup() {
    status=$?
    if [ "$status" -ne 0 ]; then
        echo "--- compose output (last lines) ---" >&2
        tail -n 25 "$log" >&2 || true
        for service in lab1 lab2 nginx; do
            name=$(container_of "$service" 2>/dev/null) || continue
            [ -n "$name" ] || continue
            echo "--- $service ($name): last lines of its log ---" >&2
            $ENGINE logs "$name" 2>&1 | grep -v "systemd connection" | tail -n 15 >&2 || true
        done
    fi
    t=$(now)
    compose_cmd down >/dev/null 2>&1 || true
    down_s=$(since "$t")
    # podman-compose 1.0.3 leaves the project's network behind; docker compose removes it.
    if [ "$ENGINE_NAME" = podman ] && $ENGINE network exists "${project}_default" 2>/dev/null; then
        $ENGINE network rm "${project}_default" >/dev/null 2>&1 || true
    fi
    leftover=$($ENGINE ps -a -q --filter "label=com.docker.compose.project=$project" 2>/dev/null || true)
    [ -z "$leftover" ] || echo "compose-smoke: WARNING: containers left behind: $leftover" >&2
    rm -f "$log"
    if [ "$status" -eq 0 ]; then
        echo "compose-smoke: PASS ($compose_name, $ENGINE_NAME; images $IMAGE + ${NGINX_IMAGE:-nginx:1.27}): build ${build_s} s," \
             "up→200 through nginx ${ready_s} s, $verdict, down ${down_s} s"
    fi
}
log=$(mktemp /tmp/compose-smoke.XXXXXX)  # compose's and the builds' output, shown on failure
trap cleanup EXIT

# 1. Build the lab image (and the local nginx image when asked), as `make image` does.
t=$(now)
echo "+ $BUILD"
# shellcheck disable=SC2086  # BUILD and BUILD_NGINX are command lines
quiet $BUILD || fail "build of $IMAGE"
if [ -n "${BUILD_NGINX:-}" ]; then
    echo "+ $BUILD_NGINX"
    # shellcheck disable=SC2086
    quiet $BUILD_NGINX || fail "build of ${NGINX_IMAGE:-nginx}"
fi
build_s=$(since "$t")

# 2. Up, on a free port of 127.0.0.1; the labs admit websockets from pages served under that name.
port=$("$PYTHON" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
export NEWTON_LAB_IMAGE=$IMAGE NGINX_PORT="127.0.0.1:$port" NEWTON_LAB_HOST="127.0.0.1:$port"
if [ -n "${NGINX_IMAGE:-}" ]; then export NGINX_IMAGE; else unset NGINX_IMAGE; fi
unset NEWTON_LAB_BASIC_AUTH NEWTON_LAB_COOKIE_SECRET  # no login for the probes
shown=$(for word in "${compose[@]}"; do [[ "$word" == *" "* ]] && printf "'%s' " "$word" || printf '%s ' "$word"; done)
echo "+ NGINX_PORT=$NGINX_PORT NEWTON_LAB_HOST=$NEWTON_LAB_HOST ${shown}-p $project -f deploy/docker-compose.yml up -d --no-build"
t=$(now)
compose_cmd up -d --no-build || fail "compose up"
for service in lab1 lab2 nginx; do
    [ -n "$(container_of "$service")" ] || fail "no container for service $service"
done

# 3. Both labs live (asked inside each container), then the page through nginx: HTTP 200, the lab's
#    page, the affinity cookie; and the same cookie comes back when the browser sends it.
deadline=$("$PYTHON" -c "import time; print(time.time() + $TIMEOUT)")
for service in lab1 lab2; do
    name=$(container_of "$service")
    until $ENGINE exec "$name" python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5006/liveness', timeout=2)" >/dev/null 2>&1; do
        "$PYTHON" -c "import sys, time; sys.exit(time.time() > $deadline)" || fail "$service not live within ${TIMEOUT} s"
        sleep 0.2
    done
done
url="http://127.0.0.1:$port/"
page=$("$PYTHON" - "$url" "$deadline" <<'PY'
import json, re, sys, time, urllib.error, urllib.request
url, deadline = sys.argv[1], float(sys.argv[2])
while True:  # nginx may still be starting
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            status, headers, body = response.status, response.headers, response.read().decode("utf-8", "replace")
        break
    except (urllib.error.URLError, ConnectionError) as error:
        if time.time() > deadline:
            sys.exit(f"GET {url}: {error}")
        time.sleep(0.1)
cookie = re.search(r"newton_lab_affinity=([^;]+)", headers.get("Set-Cookie", "") or "")
token = re.search(r'"token"\s*:\s*"([^"]+)"', body)
title = re.search(r"<title>(.*?)</title>", body, re.S)
print(json.dumps({"status": status, "title": title.group(1).strip() if title else None,
                  "cookie": cookie.group(1) if cookie else None, "token": token.group(1) if token else None}))
PY
) || fail "no page through nginx at $url"
ready_s=$(since "$t")
"$PYTHON" - "$url" "$page" <<'PY' || fail "the page through nginx"
import json, re, sys, urllib.request
url, page = sys.argv[1], json.loads(sys.argv[2])
if not (page["status"] == 200 and page["title"] == "Newton Lab" and page["token"]):
    sys.exit(f"not the lab's page: HTTP {page['status']}, title {page['title']!r}, token {bool(page['token'])}")
if not page["cookie"]:
    sys.exit("no newton_lab_affinity cookie")
request = urllib.request.Request(url + "liveness", headers={"Cookie": f"newton_lab_affinity={page['cookie']}"})
with urllib.request.urlopen(request, timeout=10) as response:
    again = re.search(r"newton_lab_affinity=([^;]+)", response.headers.get("Set-Cookie", ""))
    if not (again and again.group(1) == page["cookie"]):
        sys.exit(f"the affinity cookie changed: {page['cookie']} sent, {again and again.group(1)} set")
PY

# 4. The websocket through nginx, by hand (the standard library only): the page's token and cookie,
#    the page's origin; nginx must answer 101 and pass on the lab's first Bokeh message, ACK.
"$PYTHON" - "$port" "$page" <<'PY' || fail "websocket through nginx"
import base64, json, os, socket, sys
port, page = int(sys.argv[1]), json.loads(sys.argv[2])
key = base64.b64encode(os.urandom(16)).decode()
sock = socket.create_connection(("127.0.0.1", port), timeout=30)
sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n"
              f"Sec-WebSocket-Protocol: bokeh, {page['token']}\r\n"
              f"Cookie: newton_lab_affinity={page['cookie']}\r\n\r\n").encode())
stream = sock.makefile("rb")
status = stream.readline().decode().strip()
while stream.readline() not in (b"\r\n", b""):
    pass
if " 101 " not in status + " ":
    sys.exit(f"handshake: {status}")
def frame():
    first, second = stream.read(2)
    length = second & 0x7F
    if length >= 126:
        length = int.from_bytes(stream.read(2 if length == 126 else 8), "big")
    return first & 0x0F, stream.read(length)
opcode, payload = frame()
header = json.loads(payload) if opcode == 1 else {}
sock.close()
if header.get("msgtype") != "ACK":
    sys.exit(f"first message {opcode} {payload[:200]!r}, not ACK")
PY
verdict="affinity cookie set and kept, websocket 101 + ACK"
pages=1  # sessions the labs built so far: the page above (its websocket joined it)

# 5. A class: real Bokeh client sessions (benchmarks/student.py) through nginx, each moving the damping
#    slider once and waiting for the new trajectories.
if [ -n "$STUDENT_PYTHON" ] && "$STUDENT_PYTHON" -c "import bokeh, tornado" 2>/dev/null; then
    students=$(cd "$REPO" && "$STUDENT_PYTHON" - "$url" "$STUDENTS" <<'PY'
import asyncio, statistics, sys
from benchmarks.student import Student

async def one(url):
    student = await Student.join(url)
    try:
        slider = student.model("Slider", title="damping λ")
        value = 0.5 if slider["attributes"].get("value") != 0.5 else 1.0
        seconds = await student.set_value(slider, value)
        if student.errors:
            raise RuntimeError(f"errors from the server: {student.errors}")
        return seconds
    finally:
        await student.close()

async def main(url, count):
    results = await asyncio.gather(*(one(url) for _ in range(count)), return_exceptions=True)
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    if failures:
        sys.exit(f"{len(failures)} of {count} students failed: {failures[:3]}")
    print(f"{count} students answered (median {statistics.median(results):.2f} s, max {max(results):.2f} s)")

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
PY
    ) || fail "students through nginx"
    pages=$((pages + STUDENTS))
    verdict="$verdict, $students"
else
    echo "compose-smoke: no Bokeh in STUDENT_PYTHON='$STUDENT_PYTHON' (make install): students skipped" >&2
fi

# 6. Affinity held: every page's session was built once, on one lab (a websocket sent to the other lab
#    would build it a second time there); with a class, both labs got students.
sleep 0.5
counts=()
for service in lab1 lab2; do
    n=$($ENGINE logs "$(container_of "$service")" 2>&1 | grep -c "newton_lab session .* started" || true)
    counts+=("$n")
done
total=$((counts[0] + counts[1]))
[ "$total" -eq "$pages" ] || fail "sessions built: lab1 ${counts[0]}, lab2 ${counts[1]}; expected $pages in all, once each"
if [ "$pages" -gt 1 ] && { [ "${counts[0]}" -eq 0 ] || [ "${counts[1]}" -eq 0 ]; }; then
    fail "all sessions on one lab (lab1 ${counts[0]}, lab2 ${counts[1]})"
fi
verdict="$verdict; sessions lab1 ${counts[0]} + lab2 ${counts[1]}, each built once"
