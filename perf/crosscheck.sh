#!/usr/bin/env bash
# Cross-check of perf/LoadGen against a third-party client: runs ../shared/bench/nfsload
# (libnfs, NFSv3) and then LoadGen over NFSv3 against DittoFs on the local-disk store with
# the same server flags as perf/run-bench.sh (a fresh server + data dir for each client),
# and writes perf/results/ROUND/crosscheck-{nfsload,loadgen}.* and prints both tables.
#
#   perf/crosscheck.sh ROUND        (env: THREADS=4 DURATION=10 FILE_SIZE=64M SMALL_FILES=10000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROUND=${1:?usage: perf/crosscheck.sh ROUND}
OUT=$ROOT/perf/results/$ROUND
RAW=$OUT/raw
THREADS=${THREADS:-4} DURATION=${DURATION:-10} FILE_SIZE=${FILE_SIZE:-64M} SMALL_FILES=${SMALL_FILES:-10000}
NFSLOAD=$(cd ../shared/bench/nfsload && pwd)/nfsload
mkdir -p "$RAW"
dotnet build perf/LoadGen -c Release -v q -nologo >"$RAW/build.log" 2>&1 || { tail -30 "$RAW/build.log"; exit 1; }
SERVER_DLL=$ROOT/src/Server/bin/Release/net10.0/DittoFs.Server.dll
LOADGEN_DLL=$ROOT/perf/LoadGen/bin/Release/net10.0/DittoFs.LoadGen.dll

DFS_PID="" DATA=""
cleanup() {
  if [ -n "$DFS_PID" ]; then kill -TERM "$DFS_PID" 2>/dev/null || true; wait "$DFS_PID" 2>/dev/null || true; fi
  if [ -n "$DATA" ]; then rm -rf "$DATA"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
start_server() { # name
  PORT=$(free_port)
  DATA=$(mktemp -d /tmp/dittofs-bench.XXXXXX)
  dotnet "$SERVER_DLL" --DittoFs:DataDirectory="$DATA" --DittoFs:ListenAddress=127.0.0.1 \
    --DittoFs:NfsPort="$PORT" --DittoFs:MountPort=0 --DittoFs:HttpPort=0 \
    --DittoFs:Exports:0:Path=/export --DittoFs:Exports:0:Squash=None \
    --Logging:LogLevel:Default=Warning >"$RAW/crosscheck-$1.server.log" 2>&1 &
  DFS_PID=$!
  wait_port "$PORT"
}
stop_server() { kill -TERM "$DFS_PID"; wait "$DFS_PID" 2>/dev/null || true; DFS_PID=""; rm -rf "$DATA"; DATA=""; }

start_server nfsload
"$NFSLOAD" --url "nfs://127.0.0.1/export?version=3&nfsport=$PORT&mountport=$PORT" --threads "$THREADS" \
  --duration "$DURATION" --file-size "$FILE_SIZE" --small-files "$SMALL_FILES" \
  >"$OUT/crosscheck-nfsload.jsonl" 2>"$OUT/crosscheck-nfsload.txt" || echo "nfsload reported errors" >&2
stop_server
cat "$OUT/crosscheck-nfsload.txt"

# nfsload has no warm-up: run LoadGen without one too, so that both measure the same window.
start_server loadgen
dotnet "$LOADGEN_DLL" --port "$PORT" --mount-port "$PORT" --protocol v3 --threads "$THREADS" --duration "$DURATION" \
  --warmup 0 --file-size "$FILE_SIZE" --small-files "$SMALL_FILES" --system dittofs-local-crosscheck \
  --out "$OUT/crosscheck-loadgen.json" 2> >(tee "$RAW/crosscheck-loadgen.txt" >&2) || echo "loadgen reported errors" >&2
stop_server

python3 - "$OUT" <<'PY'
import json, sys, os
out = sys.argv[1]
n = {}
for line in open(os.path.join(out, "crosscheck-nfsload.jsonl")):
    line = line.strip()
    if line.startswith("{"):
        o = json.loads(line); n[o["workload"]] = o
g = {w["workload"]: w for w in json.load(open(os.path.join(out, "crosscheck-loadgen.json")))["workloads"]}
print(f"{'workload':12} {'nfsload ops/s':>14} {'loadgen ops/s':>14} {'loadgen/nfsload':>16} {'p99 n/l ms':>16}")
for w in ["seq-write", "seq-read", "rand-write", "rand-read", "metadata", "small-files"]:
    if w in n and w in g:
        a, b = n[w]["ops_s"], g[w]["opsPerSec"]
        print(f"{w:12} {a:>14.0f} {b:>14.0f} {b / a if a else float('nan'):>15.2f}x {n[w]['lat_ms']['p99']:>7.2f}/{g[w]['p99Ms']:<7.2f}")
PY
