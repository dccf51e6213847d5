#!/usr/bin/env bash
# The scale benchmark: a full run, a rerun with nothing new and a rerun after 1% new releases,
# each beside the parse floor (a plain serde_json parse of the same input), for N releases.
#
#   bash benches/scale.sh                  # N = 10000 100000 1000000
#   bash benches/scale.sh 10000 100000     # chosen sizes
#
# Prints one row per case: wall and CPU seconds, peak RSS, releases/s and MB/s of what the case
# read (the whole input; for the last rerun, the new releases), the ratio to the floor of the
# whole input, and the sizes of the output folder and the store. Figures are whole processes
# measured by /usr/bin/time; the release build is made first.
#
# Environment:
#   BENCH_DIR   work folder (default target/bench); inputs are generated once per N and kept
#   THREADS     passed to costwatch as COSTWATCH_THREADS (default: all cores)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000 1000000)
BENCH_DIR="${BENCH_DIR:-$ROOT/target/bench}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 2; }

cargo build --release --locked --bin costwatch --example parse_floor >&2
BIN="$TARGET_DIR/release/costwatch"
FLOOR="$TARGET_DIR/release/examples/parse_floor"
[ -z "${THREADS:-}" ] || export COSTWATCH_THREADS="$THREADS"

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
size_of() { du -sb "$@" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }

# timed NAME CMD...: runs CMD under /usr/bin/time; sets WALL CPU RSS_KB.
timed() {
  local log="$WORK/$1.time"
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$log" "$@" >"$WORK/last.out" 2>"$WORK/last.err" || {
    local rc=$?
    # 3 is a run that quarantined something: still a run to time.
    if [ "$rc" -ne 3 ]; then
      echo "command failed ($rc): $*" >&2
      tail -20 "$WORK/last.err" >&2
      exit 1
    fi
  }
  read -r WALL USER SYS RSS_KB < <(tail -1 "$log")
  CPU=$(awk -v u="$USER" -v s="$SYS" 'BEGIN { printf "%.2f", u + s }')
}

# stages NAME: the stage seconds of the run just timed, from its report.
stages() {
  local report="$WORK/out/run-report.json"
  [ -f "$report" ] || return 0
  sed -n '/"stage_seconds"/,/}/p' "$report" | tr -d ' ",{}' | grep ':' | grep -v stage_seconds |
    tr '\n' ' ' | sed "s/^/$N stages $1: /; s/ \$/\n/" >&2
}

printf '%-9s %-14s %8s %8s %8s %10s %7s %7s %9s %9s\n' \
  releases case wall_s cpu_s rss_mb rel_per_s MB_s x_floor out_mb store_mb
for N in "${SIZES[@]}"; do
  WORK="$BENCH_DIR/$N"
  mkdir -p "$WORK/input"
  if [ ! -s "$WORK/releases.jsonl" ] || [ ! -s "$WORK/update.jsonl" ]; then
    "$BIN" generate-fixtures --out "$WORK" --releases "$N" --update 1 2>/dev/null
  fi
  cat >"$WORK/costwatch.toml" <<TOML
[run]
store = "$WORK/store.sqlite"
output = "$WORK/out"
as_of = "2025-06-30T00:00:00Z"

[publisher]
name = "costwatch benchmark"
uri = "https://example.org/costwatch/bench/project-package.json"

[projects]
id_prefix = "oc4ids-cwbench"

[[source]]
id = "bench"
kind = "local"
paths = ["$WORK/input"]
TOML
  # The previous round's output and store are moved aside, not deleted: ext4 creates files
  # several times slower for a minute or so after many were deleted nearby, which would charge
  # the full run for the benchmark's own cleaning. They are deleted at the end.
  TRASH="$BENCH_DIR/trash"
  mkdir -p "$TRASH"
  for f in out store.sqlite store.sqlite-wal store.sqlite-shm; do
    [ ! -e "$WORK/$f" ] || mv "$WORK/$f" "$TRASH/$f.$N.$$.$RANDOM"
  done
  rm -f "$WORK/input"/*
  cp "$WORK/releases.jsonl" "$WORK/input/"
  input_bytes=$(size_of "$WORK/input/releases.jsonl")
  update_bytes=$(size_of "$WORK/update.jsonl")

  row() { # case releases bytes floor_wall
    local rate mbs ratio
    rate=$(awk -v n="$2" -v w="$WALL" 'BEGIN { printf "%.0f", (w > 0 ? n / w : 0) }')
    mbs=$(awk -v b="$3" -v w="$WALL" 'BEGIN { printf "%.1f", (w > 0 ? b / 1e6 / w : 0) }')
    ratio=$(awk -v w="$WALL" -v f="$4" 'BEGIN { printf "%.2f", (f > 0 ? w / f : 0) }')
    printf '%-9s %-14s %8s %8s %8s %10s %7s %7s %9s %9s\n' "$N" "$1" "$WALL" "$CPU" \
      "$(mb $((RSS_KB * 1000)))" "$rate" "$mbs" "$ratio" \
      "$(mb "$(size_of "$WORK/out")")" "$(mb "$(size_of "$WORK"/store.sqlite*)")"
  }

  timed floor "$FLOOR" "$WORK/input/releases.jsonl"
  FLOOR_WALL=$WALL
  printf '%-9s %-14s %8s %8s %8s %10s %7s %7s %9s %9s\n' "$N" floor "$WALL" "$CPU" \
    "$(mb $((RSS_KB * 1000)))" \
    "$(awk -v n="$N" -v w="$WALL" 'BEGIN { printf "%.0f", (w > 0 ? n / w : 0) }')" \
    "$(awk -v b="$input_bytes" -v w="$WALL" 'BEGIN { printf "%.1f", (w > 0 ? b / 1e6 / w : 0) }')" \
    1.00 "$(mb "$input_bytes")" -

  timed full "$BIN" run --config "$WORK/costwatch.toml"
  FULL_WALL=$WALL
  row full "$N" "$input_bytes" "$FLOOR_WALL"
  stages full

  timed rerun "$BIN" run --config "$WORK/costwatch.toml"
  row rerun "$N" "$input_bytes" "$FLOOR_WALL"
  echo "$N rerun/full: $(awk -v a="$WALL" -v b="$FULL_WALL" 'BEGIN { printf "%.1f%%", 100 * a / b }')" >&2

  cp "$WORK/update.jsonl" "$WORK/input/"
  timed update "$BIN" run --config "$WORK/costwatch.toml"
  row rerun+1% "$(wc -l <"$WORK/update.jsonl")" "$update_bytes" "$FLOOR_WALL"
  stages rerun+1%
  echo "$N rerun+1%/full: $(awk -v a="$WALL" -v b="$FULL_WALL" 'BEGIN { printf "%.1f%%", 100 * a / b }')" >&2
  find "$WORK/out/projects" -name '*.json' -printf '%s\n' |
    awk -v n="$N" '{ s += $1; c++ } END { if (c) printf "%s project JSON: %.1f KB on average over %d projects\n", n, s / c / 1000, c }' >&2
done
rm -rf "$BENCH_DIR/trash"
