#!/usr/bin/env bash
# The machine's floor for single-frame fan-out writes (see README.md here).
# usage: bench/floor/run.sh [SOCKETS...]      default: 1000 10000
set -eu -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${TMPDIR:-/tmp}/comet-floor
mkdir -p "$BIN"
cc -O2 -o "$BIN/write_floor" "$HERE/write_floor.c"
cc -O2 -o "$BIN/drain" "$HERE/drain.c"
ulimit -n "$(ulimit -Hn)"
PORT=${PORT:-9911}
[ $# -gt 0 ] || set -- 1000 10000
for n in "$@"; do
    bursts=$(( n >= 10000 ? 20 : 100 ))
    pause=$(( n >= 10000 ? 100 : 20 ))
    taskset -c 0 "$BIN/write_floor" "$n" "$PORT" "$bursts" "$pause" &
    writer=$!
    sleep 0.3
    taskset -c 1 "$BIN/drain" "$n" "$PORT" $(( bursts * (pause + n / 50) / 1000 + 3 )) 2>/dev/null
    wait "$writer"
done
