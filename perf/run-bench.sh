#!/usr/bin/env bash
# Runs the six workloads of perf/LoadGen over NFSv3 and NFSv4.1 against
#   dittofs-local  DittoFs on the local-disk block store (fresh data dir)
#   dittofs-s3     DittoFs on S3 (moto_server on loopback, bucket "bench", fresh data dir)
#   dittofs-s3-bucket  the same with DittoFs:Durability=Bucket (COMMIT waits for the bucket)
#   dittofs-s3-wan  dittofs-s3 with moto behind perf/S3Proxy adding S3_LATENCY_MS (default 30) to every request
#   before-local, before-s3, before-s3-wan  dittofs-local / dittofs-s3 / dittofs-s3-wan run from another build: BEFORE_DLL=path/to/DittoFs.Server.dll
#                  (a before/after comparison in one run)
#   ganesha        nfs-ganesha 4.3, FSAL VFS on the same disk, in its own network
#                  namespace (../shared/bench/nfsload/ganesha-netns.sh, conf perf/ganesha.conf)
# and writes perf/results/ROUND/{SYSTEM}-{v3,v41}.json, chart-*.png, summary-ratio.png
# and summary.md (ratios DittoFs / ganesha; S3 requests per 1,000 ops of each workload, from the server's /metrics). Logs go to perf/results/ROUND/raw/ (not committed).
#
#   perf/run-bench.sh ROUND
#   env: S3_LATENCY_MS=30 WORKLOADS=all THREADS=4 DURATION=20 FILE_SIZE=256M SMALL_FILES=10000 WARMUP=1
#        SYSTEMS="dittofs-local dittofs-s3 ganesha" PROTOCOLS="v3 v41"
#
# Needs root (ganesha's namespace), nfs-ganesha + nfs-ganesha-vfs + rpcbind, moto_server.
# Stops every process it started, by PID (trap on exit).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROUND=${1:?usage: perf/run-bench.sh ROUND}
OUT=$ROOT/perf/results/$ROUND
RAW=$OUT/raw
WORKLOADS=${WORKLOADS:-all} THREADS=${THREADS:-4} DURATION=${DURATION:-20} FILE_SIZE=${FILE_SIZE:-256M} SMALL_FILES=${SMALL_FILES:-10000} WARMUP=${WARMUP:-1}
SYSTEMS=${SYSTEMS:-"dittofs-local dittofs-s3 ganesha"} PROTOCOLS=${PROTOCOLS:-"v3 v41"}
NETNS=$(cd ../shared/bench/nfsload && pwd)/ganesha-netns.sh
# Our own ganesha state / export dirs (see perf/ganesha.conf), not the shared ones.
export STATE=/tmp/dittofs-lg-ganesha EXPORT=/tmp/dittofs-lg-ganesha-export CONF=$ROOT/perf/ganesha.conf
mkdir -p "$RAW"

echo "building (Release)..."
dotnet build perf/LoadGen -c Release -v q -nologo >"$RAW/build.log" 2>&1 || { tail -30 "$RAW/build.log"; exit 1; }
dotnet build perf/S3Proxy -c Release -v q -nologo >>"$RAW/build.log" 2>&1 || { tail -30 "$RAW/build.log"; exit 1; }
PROXY_DLL=$ROOT/perf/S3Proxy/bin/Release/net10.0/DittoFs.S3Proxy.dll
SERVER_DLL=$ROOT/src/Server/bin/Release/net10.0/DittoFs.Server.dll
LOADGEN_DLL=$ROOT/perf/LoadGen/bin/Release/net10.0/DittoFs.LoadGen.dll

DFS_PID="" MOTO_PID="" PROXY_PID="" DATA="" GANESHA_STARTED=0
cleanup() {
  if [ -n "$PROXY_PID" ]; then kill -TERM "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; fi
  if [ -n "$DFS_PID" ]; then kill -TERM "$DFS_PID" 2>/dev/null || true; wait "$DFS_PID" 2>/dev/null || true; fi
  if [ -n "$MOTO_PID" ]; then kill -TERM "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
  if [ -n "$DATA" ]; then rm -rf "$DATA"; fi
  if [ "$GANESHA_STARTED" = 1 ]; then "$NETNS" stop >/dev/null || true; rm -rf "$EXPORT"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }

# S3 requests by operation and data bytes uploaded, from a server's /metrics, as JSON.
s3_requests() {
  curl -s "http://127.0.0.1:$1/metrics" | python3 -c '
import sys, re, json, collections
c = collections.Counter()
for line in sys.stdin:
    m = re.match(r"dittofs_s3_request_duration_seconds_count\{([^}]*)\}\s+(\S+)", line)
    if m:
        op = re.search(r"operation=\"([^\"]+)\"", m.group(1))
        c[op.group(1) if op else "other"] += int(float(m.group(2)))
    m = re.match(r"dittofs_flush_uploaded(_bytes)?(_total)?(\{[^}]*\})?\s+(\S+)", line)
    if m: c["uploaded_bytes"] += int(float(m.group(4)))
print(json.dumps(c))' || echo '{}'
}
s3_delta() { python3 -c 'import json, sys; a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2]); print(json.dumps({k: b[k] - a.get(k, 0) for k in b}))' "$1" "$2"; }

loadgen() { # system protocol port mount-port [exec-prefix...]
  local system=$1 proto=$2 port=$3 mport=$4; shift 4
  echo "== $system $proto"
  "$@" dotnet "$LOADGEN_DLL" --host 127.0.0.1 --port "$port" --mount-port "$mport" --protocol "$proto" \
    --export /export --threads "$THREADS" --duration "$DURATION" --warmup "$WARMUP" --file-size "$FILE_SIZE" \
    --small-files "$SMALL_FILES" --workloads "$WORKLOADS" --system "$system" --out "$OUT/$system-$proto.json" \
    ${METRICS_URL:+--metrics "$METRICS_URL"} \
    2> >(tee "$RAW/$system-$proto.txt" >&2) \
    || echo "$system $proto: the load generator reported errors (see $RAW/$system-$proto.txt)" >&2
}

dittofs() { # system extra-server-args...   (DLL: the server build, default $SERVER_DLL)
  local system=$1 dll=${DLL:-$SERVER_DLL}; shift
  for proto in $PROTOCOLS; do
    # A fresh server and data directory per protocol run: both protocols start from the same state.
    local port http; port=$(free_port) http=$(free_port)
    DATA=$(mktemp -d /tmp/dittofs-bench.XXXXXX)
    dotnet "$dll" --DittoFs:DataDirectory="$DATA" --DittoFs:ListenAddress=127.0.0.1 \
      --DittoFs:NfsPort="$port" --DittoFs:MountPort=0 --DittoFs:HttpPort="$http" \
      --DittoFs:Exports:0:Path=/export --DittoFs:Exports:0:Squash=None \
      --Logging:LogLevel:Default=Warning "$@" >"$RAW/$system-$proto.server.log" 2>&1 &
    DFS_PID=$!
    wait_port "$port" || { echo "DittoFs did not start"; tail -20 "$RAW/$system-$proto.server.log"; exit 1; }
    local before; before=$(s3_requests "$http")
    METRICS_URL="http://127.0.0.1:$http/metrics" loadgen "$system" "$proto" "$port" "$port"
    # S3 requests of the whole run (every workload), from the server's /metrics, before/after delta.
    s3_delta "$before" "$(s3_requests "$http")" >"$OUT/$system-$proto.s3.json"
    kill -TERM "$DFS_PID"; wait "$DFS_PID" 2>/dev/null || true
    DFS_PID=""; rm -rf "$DATA"; DATA=""
  done
}

for system in $SYSTEMS; do
  case $system in
    dittofs-local) dittofs dittofs-local ;;
    before-local) DLL=${BEFORE_DLL:?before-local needs BEFORE_DLL} dittofs before-local ;;
    dittofs-s3|dittofs-s3-bucket|dittofs-s3-wan|before-s3|before-s3-wan)
      extra=() dll=$SERVER_DLL
      [ "$system" = dittofs-s3-bucket ] && extra=(--DittoFs:Durability=Bucket)
      case $system in before-s3|before-s3-wan) dll=${BEFORE_DLL:?$system needs BEFORE_DLL} ;; esac
      for proto in $PROTOCOLS; do
        # A fresh moto (empty bucket) per run: the server's start-up sweep would otherwise spend
        # moto's CPU, on this same machine, deleting the previous run's objects during this one.
        MOTO_PORT=$(free_port)
        moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$RAW/moto-$proto.log" 2>&1 &
        MOTO_PID=$!
        wait_port "$MOTO_PORT"
        python3 -c "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:$MOTO_PORT/bench', method='PUT'))"
        S3_PORT=$MOTO_PORT
        if [ "$system" = dittofs-s3-wan ] || [ "$system" = before-s3-wan ]; then
          S3_PORT=$(free_port)
          dotnet "$PROXY_DLL" --target-port "$MOTO_PORT" --port "$S3_PORT" --latency-ms "${S3_LATENCY_MS:-30}" >"$RAW/proxy-$proto.log" 2>&1 &
          PROXY_PID=$!
          wait_port "$S3_PORT"
        fi
        PROTOCOLS=$proto DLL=$dll dittofs "$system" --DittoFs:PayloadStore=S3 --DittoFs:S3:Endpoint="http://127.0.0.1:$S3_PORT" \
          --DittoFs:S3:Bucket=bench --DittoFs:S3:AccessKey=test --DittoFs:S3:SecretKey=test "${extra[@]}"
        if [ -n "$PROXY_PID" ]; then kill -TERM "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=""; fi
        kill -TERM "$MOTO_PID"; wait "$MOTO_PID" 2>/dev/null || true; MOTO_PID=""
      done
      ;;
    ganesha)
      for proto in $PROTOCOLS; do
        rm -rf "$EXPORT"
        "$NETNS" start >"$RAW/ganesha-$proto.start.log" || { cat "$RAW/ganesha-$proto.start.log"; exit 1; }
        GANESHA_STARTED=1
        loadgen ganesha "$proto" 20491 20492 "$NETNS" exec
        "$NETNS" stop >/dev/null; GANESHA_STARTED=0; rm -rf "$EXPORT"
      done
      ;;
    *) echo "unknown system $system" >&2; exit 2 ;;
  esac
done

dotnet "$LOADGEN_DLL" report --dir "$OUT" --baseline ganesha
echo "results: $OUT (summary.md, chart-*.png, summary-ratio.png)"
