#!/usr/bin/env bash
# Issue 18: metadata and small-files ops/s with the metadata on FASTER vs on PostgreSQL (one server, then
# two servers on one database), in one run, 32 concurrent creators over NFSv3 (LoadGen).
#   perf/postgres-bench.sh OUTDIR        (THREADS=32 DURATION=10 SMALL_FILES=2000 WORKLOADS=metadata,small-files)
# PostgreSQL runs with its defaults (fsync on, synchronous_commit on): a create is durable when it returns.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${1:?usage: perf/postgres-bench.sh OUTDIR}
THREADS=${THREADS:-32} DURATION=${DURATION:-10} SMALL_FILES=${SMALL_FILES:-2000} WORKLOADS=${WORKLOADS:-metadata,small-files}
mkdir -p "$OUT"
dotnet build src/Server -c Release -v q -nologo >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
dotnet build perf/LoadGen -c Release -v q -nologo >>"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
SERVER_DLL=$ROOT/src/Server/bin/Release/net10.0/DittoFs.Server.dll
LOADGEN_DLL=$ROOT/perf/LoadGen/bin/Release/net10.0/DittoFs.LoadGen.dll
PG_BIN=${PG_BIN:-$(dirname "$(readlink -f "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")")}
WORK=$(mktemp -d /tmp/dittofs-pgbench.XXXX); chmod 777 "$WORK"
AS=(); [ "$(id -u)" = 0 ] && AS=(runuser -u postgres --)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  "${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }

PGPORT=$(free_port)
"${AS[@]}" "$PG_BIN/initdb" -D "$WORK/pg" -A trust -U postgres -E UTF8 --locale=C >/dev/null
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
db() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE $1" postgres >/dev/null
       echo "Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=$1"; }

server() { # name port metadata-args...
  local name=$1 port=$2; shift 2
  dotnet "$SERVER_DLL" --DittoFs:DataDirectory="$WORK/$name" --DittoFs:ListenAddress=127.0.0.1 --DittoFs:NfsPort="$port" \
    --DittoFs:MountPort=0 --DittoFs:HttpPort=0 --DittoFs:Exports:0:Path=/export --DittoFs:Exports:0:Squash=None \
    --Logging:LogLevel:Default=Warning "$@" >"$OUT/$name.server.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
}
loadgen() { # system port
  dotnet "$LOADGEN_DLL" --host 127.0.0.1 --port "$2" --mount-port "$2" --protocol v3 --export /export --threads "$THREADS" \
    --duration "$DURATION" --warmup 1 --small-files "$SMALL_FILES" --workloads "$WORKLOADS" --system "$1" --out "$OUT/$1.json" >"$OUT/$1.txt" 2>&1
}
stop_servers() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; PIDS=(); }

P1=$(free_port); server faster "$P1"; loadgen faster "$P1"; stop_servers
P1=$(free_port); server postgres "$P1" --DittoFs:MetadataStore=Postgres --DittoFs:Postgres:ConnectionString="$(db one)"; loadgen postgres "$P1"; stop_servers
P1=$(free_port); P2=$(free_port); CS=$(db two)
server postgres-a "$P1" --DittoFs:MetadataStore=Postgres --DittoFs:Postgres:ConnectionString="$CS"
server postgres-b "$P2" --DittoFs:MetadataStore=Postgres --DittoFs:Postgres:ConnectionString="$CS"
loadgen postgres-2servers-a "$P1" & A=$!; loadgen postgres-2servers-b "$P2" & B=$!; wait $A $B; stop_servers
python3 - "$OUT" <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    r = json.load(open(f))
    for w in r.get("workloads", []):
        steps = ", ".join(f'{s["step"]} {s["ops"] / max(w["durationSec"], 1e-9):.0f}/s p50 {s["p50Ms"]:.1f} ms' for s in (w.get("steps") or []))
        print(f'{os.path.basename(f)[:-5]:24} {w["workload"]:12} {w["opsPerSec"]:8.0f} ops/s  errors {w["errors"]}  [{steps}]')
PY
