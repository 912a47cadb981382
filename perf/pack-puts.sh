#!/usr/bin/env bash
# S3 requests of the small-files workload, packed vs one object per block (issue 17):
#   perf/pack-puts.sh [true|false]   (DittoFs:Cache:PackSmallBlocks; default: both, one after the other)
# env: SMALL_FILES=10000 THREADS=4 CONFIG=Debug EXTRA="--DittoFs:...=..." (more server settings). For each setting: a fresh moto and data directory,
# LoadGen small-files (create+write+COMMIT, read, stat, delete), then the server is stopped cleanly
# (which drains what is dirty) and the S3 requests are read from its /metrics just before the stop
# and after the drain wait. Prints one line per setting. Stops what it started, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd) CONFIG=${CONFIG:-Debug} SMALL_FILES=${SMALL_FILES:-10000} THREADS=${THREADS:-4}
SERVER_DLL=$ROOT/src/Server/bin/$CONFIG/net10.0/DittoFs.Server.dll
LOADGEN_DLL=$ROOT/perf/LoadGen/bin/$CONFIG/net10.0/DittoFs.LoadGen.dll
MOTO_PID="" DFS_PID="" DATA=""
cleanup() {
  [ -n "$DFS_PID" ] && { kill -TERM "$DFS_PID" 2>/dev/null || true; wait "$DFS_PID" 2>/dev/null || true; }
  [ -n "$MOTO_PID" ] && { kill -TERM "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; }
  [ -n "$DATA" ] && rm -rf "$DATA"
  return 0
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
# S3 requests by operation from the Prometheus text: "PutObject=n GetObject=n ..."
s3_requests() {
  curl -s "http://127.0.0.1:$1/metrics" | python3 -c '
import sys, re, collections
c = collections.Counter()
for line in sys.stdin:
    m = re.match(r"dittofs_s3_request_duration_seconds_count\{([^}]*)\}\s+(\S+)", line)
    if m:
        op = re.search(r"operation=\"([^\"]+)\"", m.group(1))
        c[op.group(1) if op else "?"] += int(float(m.group(2)))
    m = re.match(r"dittofs_flush_uploads(_total)?(\{[^}]*\})?\s+(\S+)", line)
    if m:
        c["data-objects"] += int(float(m.group(3)))
print(" ".join(f"{k}={v}" for k, v in sorted(c.items())))'
}
for pack in ${1:-false true}; do
  MOTO_PORT=$(free_port) NFS_PORT=$(free_port) HTTP_PORT=$(free_port)
  moto_server -H 127.0.0.1 -p "$MOTO_PORT" >/tmp/pack-puts-moto.log 2>&1 & MOTO_PID=$!
  wait_port "$MOTO_PORT"
  python3 -c "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:$MOTO_PORT/bench', method='PUT'))"
  DATA=$(mktemp -d /tmp/dittofs-packputs.XXXXXX)
  dotnet "$SERVER_DLL" --DittoFs:DataDirectory="$DATA" --DittoFs:ListenAddress=127.0.0.1 \
    --DittoFs:NfsPort="$NFS_PORT" --DittoFs:MountPort=0 --DittoFs:HttpPort="$HTTP_PORT" \
    --DittoFs:Exports:0:Path=/export --DittoFs:Exports:0:Squash=None --Logging:LogLevel:Default=Warning \
    --DittoFs:PayloadStore=S3 --DittoFs:S3:Endpoint="http://127.0.0.1:$MOTO_PORT" --DittoFs:S3:Bucket=bench \
    --DittoFs:S3:AccessKey=test --DittoFs:S3:SecretKey=test --DittoFs:Cache:PackSmallBlocks="$pack" ${EXTRA:-} >/tmp/pack-puts-server-$pack.log 2>&1 & DFS_PID=$!
  wait_port "$NFS_PORT"; wait_port "$HTTP_PORT"
  before=$(s3_requests "$HTTP_PORT")
  dotnet "$LOADGEN_DLL" --host 127.0.0.1 --port "$NFS_PORT" --mount-port "$NFS_PORT" --protocol v3 --export /export \
    --threads "$THREADS" --duration 600 --warmup 0 --small-files "$SMALL_FILES" --workloads small-files --system "pack-$pack" \
    --out "/tmp/pack-puts-$pack.json" >/tmp/pack-puts-loadgen-$pack.txt 2>&1 || echo "loadgen reported errors (/tmp/pack-puts-loadgen-$pack.txt)"
  sleep 15 # FlushIdle (5 s) + SegmentWait (5 s): what was still to upload goes now
  after=$(s3_requests "$HTTP_PORT")
  echo "PackSmallBlocks=$pack files=$SMALL_FILES before: $before | after: $after"
  kill -TERM "$DFS_PID"; wait "$DFS_PID" 2>/dev/null || true; DFS_PID=""
  kill -TERM "$MOTO_PID"; wait "$MOTO_PID" 2>/dev/null || true; MOTO_PID=""
  rm -rf "$DATA"; DATA=""
done
