#!/usr/bin/env bash
# Runs the six nfsload workloads (../shared/bench/nfsload, libnfs, NFSv3) against
# DittoFs (local-disk store) and nfs-ganesha (VFS FSAL on the same disk) in one
# run, and prints both tables and the DittoFs/ganesha ratios.
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
DATA=$(mktemp -d /tmp/dittofs-bench.XXXXXX)
PORT=22049
dotnet src/Server/bin/Release/net10.0/DittoFs.Server.dll --DittoFs:DataDirectory="$DATA" \
  --DittoFs:NfsPort=$PORT --DittoFs:MountPort=0 --DittoFs:HttpPort=0 --Logging:LogLevel:Default=Warning \
  >"$OUT/dittofs.log" 2>&1 &
DFS_PID=$!
GANESHA_STARTED=0
cleanup() {
  kill -TERM "$DFS_PID" 2>/dev/null || true
  wait "$DFS_PID" 2>/dev/null || true
  rm -rf "$DATA"
  if [ "$GANESHA_STARTED" = 1 ]; then "$NFSLOAD_DIR/ganesha-netns.sh" stop >/dev/null || true; fi
}
trap cleanup EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.2; done

run() { # name url [exec-prefix...]
  local name=$1 url=$2; shift 2
  "$@" "$NFSLOAD_DIR/nfsload" --url "$url" --threads "$THREADS" --duration "$DURATION" \
    --file-size "$FILE_SIZE" >"$OUT/$name.json" 2>"$OUT/$name.txt"
}
run dittofs-v3 "nfs://127.0.0.1/export?version=3&nfsport=$PORT&mountport=$PORT"
kill -TERM "$DFS_PID"; wait "$DFS_PID" 2>/dev/null || true

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
d, g = load("dittofs-v3"), load("ganesha-v3")
print(f"{'workload':12} {'DittoFs':>16} {'ganesha':>16} {'ratio':>7} {'p99 ms D/g':>15} {'errors':>6} {'verify':>6}")
for w in ["seq-write", "seq-read", "rand-write", "rand-read", "metadata", "small-files"]:
    if w not in d or w not in g: continue
    dv, gv, unit = d[w]["value"], g[w]["value"], d[w]["metric"]
    ratio = dv / gv if gv else float("nan")
    print(f"{w:12} {dv:>9.1f} {unit:>6} {gv:>9.1f} {unit:>6} {ratio:>6.2f}x {d[w]['lat_ms']['p99']:>7.2f}/{g[w]['lat_ms']['p99']:<7.2f} {d[w]['errors']:>6} {d[w]['verify_errors']:>6}")
PY
echo "raw results: $OUT"
