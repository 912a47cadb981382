#!/usr/bin/env bash
# Runs the six nfsload workloads (../shared/bench/nfsload, libnfs, NFSv3) against
# DittoFs on the local-disk store, DittoFs on S3 (moto_server on loopback) and
# nfs-ganesha (VFS FSAL on the same disk) in one run, and prints the tables and
# the DittoFs/ganesha ratios.
#
#   perf/nfsload-compare.sh [OUT_DIR]      (env: THREADS=4 DURATION=20 FILE_SIZE=256M)
#
# Needs: libnfs-dev, nfs-ganesha, nfs-ganesha-vfs, rpcbind (apt-get), root for the
# ganesha network namespace. Stops every process it started (by PID).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
NFSLOAD_DIR=$(cd ../shared/bench/nfsload && pwd)
OUT=${1:-$ROOT/perf/results/nfsload-$(date +%Y%m%d-%H%M%S)}
THREADS=${THREADS:-4} DURATION=${DURATION:-20} FILE_SIZE=${FILE_SIZE:-256M}
mkdir -p "$OUT"
[ -x "$NFSLOAD_DIR/nfsload" ] || make -C "$NFSLOAD_DIR" >/dev/null

dotnet build src/Server -c Release -v q -nologo >/dev/null
PORT=22049
DFS_PID="" MOTO_PID="" DATA="" GANESHA_STARTED=0
cleanup() {
  [ -n "$DFS_PID" ] && { kill -TERM "$DFS_PID" 2>/dev/null; wait "$DFS_PID" 2>/dev/null; } || true
  [ -n "$MOTO_PID" ] && { kill -TERM "$MOTO_PID" 2>/dev/null; wait "$MOTO_PID" 2>/dev/null; } || true
  [ -n "$DATA" ] && rm -rf "$DATA"
  if [ "$GANESHA_STARTED" = 1 ]; then "$NFSLOAD_DIR/ganesha-netns.sh" stop >/dev/null || true; fi
}
trap cleanup EXIT
wait_port() { for _ in $(seq 150); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.2; done; return 1; }

run() { # name url [exec-prefix...]
  local name=$1 url=$2; shift 2
  "$@" "$NFSLOAD_DIR/nfsload" --url "$url" --threads "$THREADS" --duration "$DURATION" \
    --file-size "$FILE_SIZE" >"$OUT/$name.json" 2>"$OUT/$name.txt" \
    || echo "$name: nfsload reported errors (see $OUT/$name.txt)" >&2
}

dittofs() { # name extra-args...
  local name=$1; shift
  DATA=$(mktemp -d /tmp/dittofs-bench.XXXXXX)
  dotnet src/Server/bin/Release/net10.0/DittoFs.Server.dll --DittoFs:DataDirectory="$DATA" \
    --DittoFs:NfsPort=$PORT --DittoFs:MountPort=0 --DittoFs:HttpPort=0 --Logging:LogLevel:Default=Warning "$@" \
    >"$OUT/$name.log" 2>&1 &
  DFS_PID=$!
  wait_port $PORT
  run "$name" "nfs://127.0.0.1/export?version=3&nfsport=$PORT&mountport=$PORT"
  kill -TERM "$DFS_PID"; wait "$DFS_PID" 2>/dev/null || true
  DFS_PID=""; rm -rf "$DATA"; DATA=""
}

dittofs dittofs-v3

MOTO_PORT=22050
moto_server -H 127.0.0.1 -p $MOTO_PORT >"$OUT/moto.log" 2>&1 &
MOTO_PID=$!
wait_port $MOTO_PORT
python3 -c "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:$MOTO_PORT/bench', method='PUT'))"
dittofs dittofs-s3-v3 --DittoFs:PayloadStore=S3 --DittoFs:S3:Endpoint=http://127.0.0.1:$MOTO_PORT \
  --DittoFs:S3:Bucket=bench --DittoFs:S3:AccessKey=test --DittoFs:S3:SecretKey=test

rm -rf /tmp/bench-ganesha-export
"$NFSLOAD_DIR/ganesha-netns.sh" start >"$OUT/ganesha-start.log"
GANESHA_STARTED=1
run ganesha-v3 "nfs://127.0.0.1/export?version=3&nfsport=20491&mountport=20492" "$NFSLOAD_DIR/ganesha-netns.sh" exec

python3 - "$OUT" <<'PY'
import json, sys, os
out = sys.argv[1]
def load(name):
    rows = {}
    for line in open(os.path.join(out, name + ".json")):
        line = line.strip()
        if line.startswith("{"):
            o = json.loads(line); rows[o["workload"]] = o
    return rows
g = load("ganesha-v3")
for name in ["dittofs-v3", "dittofs-s3-v3"]:
    d = load(name)
    print(f"\n{name} vs ganesha-v3 (NFSv3, nfsload, same run)")
    print(f"{'workload':12} {'DittoFs':>16} {'ganesha':>16} {'ratio':>7} {'p99 ms D/g':>15} {'errors':>6} {'verify':>6}")
    for w in ["seq-write", "seq-read", "rand-write", "rand-read", "metadata", "small-files"]:
        if w not in d or w not in g: continue
        dv, gv, unit = d[w]["value"], g[w]["value"], d[w]["metric"]
        ratio = dv / gv if gv else float("nan")
        print(f"{w:12} {dv:>9.1f} {unit:>6} {gv:>9.1f} {unit:>6} {ratio:>6.2f}x {d[w]['lat_ms']['p99']:>7.2f}/{g[w]['lat_ms']['p99']:<7.2f} {d[w]['errors']:>6} {d[w]['verify_errors']:>6}")
PY
echo "raw results: $OUT"
