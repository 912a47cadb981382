#!/usr/bin/env bash
# Longer coverage-guided run of every fuzz target under AFL++ (SharpFuzz-instrumented Release build).
#   tests/Fuzz/run-nightly.sh [SECONDS_PER_TARGET] [PARALLEL]
# Findings go to tests/Fuzz/findings/<UTC time>/ (gitignored): AFL output per target and summary.txt.
# Every crash and hang is copied to tests/Fuzz/regressions/<target>/ for the replay test: commit it with the fix.
set -euo pipefail
SECONDS_PER_TARGET=${1:-300}
PARALLEL=${2:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT="$HERE/findings/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"

command -v afl-fuzz >/dev/null || { echo "afl-fuzz missing: apt-get install -y afl++" >&2; exit 2; }
SHARPFUZZ=""
for c in "${SHARPFUZZ_PATH:-}" "$ROOT/.tools/sharpfuzz" "$HOME/.dotnet/tools/sharpfuzz" "$(command -v sharpfuzz || true)"; do
  if [ -n "$c" ] && [ -x "$c" ]; then SHARPFUZZ=$c; break; fi
done
[ -n "$SHARPFUZZ" ] || { echo "sharpfuzz missing: dotnet tool install --tool-path .tools SharpFuzz.CommandLine --version 2.3.0" >&2; exit 2; }

dotnet build "$HERE/DittoFs.Fuzz.csproj" -c Release -o "$OUT/bin" -nologo -v q
"$SHARPFUZZ" "$OUT/bin/DittoFs.Server.dll"
"$SHARPFUZZ" "$OUT/bin/DittoFs.Xdr.dll"

export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
TARGETS=$(dotnet "$OUT/bin/DittoFs.Fuzz.dll" list)

run_target() {
  local t=$1 timeout=1000
  case $t in nfs4-*) timeout=2000 ;; esac
  afl-fuzz -i "$HERE/corpus/$t" -o "$OUT/$t" -t "$timeout" -m none -V "$SECONDS_PER_TARGET" \
    -- dotnet "$OUT/bin/DittoFs.Fuzz.dll" afl "$t" > "$OUT/$t.log" 2>&1 < /dev/null || echo "afl-fuzz $t exited $?" >&2
}

running=0
for t in $TARGETS; do
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$PARALLEL" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true

status=0
{
  printf '%-14s %12s %10s %8s %8s %6s\n' target execs_done execs/s corpus crashes hangs
  for t in $TARGETS; do
    s="$OUT/$t/default/fuzzer_stats"
    if [ ! -f "$s" ]; then printf '%-14s (no stats: see %s.log)\n' "$t" "$t"; status=1; continue; fi
    v() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$s"; }
    printf '%-14s %12s %10s %8s %8s %6s\n' "$t" "$(v execs_done)" "$(v execs_per_sec)" "$(v corpus_count)" "$(v saved_crashes)" "$(v saved_hangs)"
  done
} | tee "$OUT/summary.txt"

for t in $TARGETS; do
  for kind in crashes hangs; do
    for f in "$OUT/$t/default/$kind"/id:*; do
      [ -f "$f" ] || continue
      mkdir -p "$HERE/regressions/$t"
      name="$kind-$(sha1sum "$f" | cut -c1-12)"
      cp "$f" "$HERE/regressions/$t/$name"
      echo "new finding: tests/Fuzz/regressions/$t/$name"
      status=1
    done
  done
done
exit $status
