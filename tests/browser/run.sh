#!/usr/bin/env bash
# Browser checks of the HTML report pages (run by .ci/run after `cargo test`).
#
#   bash tests/browser/run.sh
#
# Installs Debian's chromium and playwright-core when they are missing, runs costwatch twice on
# the embedded default (fixtures in, a temporary output folder out; the second run gives the
# league table its change since the previous run), then opens the pages with
# tests/browser/check.mjs. Ends with `browser: N passed, M failed`; exits non-zero on any failure.
#
# Environment:
#   COSTWATCH_BIN    the binary (default target/debug/costwatch in the repository)
#   SCREENSHOTS      where screenshots and PDFs go (default target/screenshots; relative to the
#                    repository root)
#   CHROMIUM_PATH    the browser (default /usr/bin/chromium; installed with apt when missing)
#   BROWSER_KEEP_OUT set to 1 to keep the temporary output folder for a look afterwards
set -euo pipefail

CALLER_PWD="$PWD"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT" # the embedded default configuration reads fixtures/ relative to the working folder

if [ -n "${COSTWATCH_BIN:-}" ]; then
  case "$COSTWATCH_BIN" in
    /*) BIN="$COSTWATCH_BIN" ;;
    *) BIN="$CALLER_PWD/$COSTWATCH_BIN" ;;
  esac
else
  # The target folder cargo used: CARGO_TARGET_DIR when set, else target/ here.
  TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
  case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
  BIN="$TARGET_DIR/debug/costwatch"
fi
SHOTS="${SCREENSHOTS:-target/screenshots}"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

setup_failed() {
  echo "FAIL setup: $*"
  echo "browser: 0 passed, 1 failed"
  exit 1
}

TMP="$(mktemp -d)"
if [ "${BROWSER_KEEP_OUT:-}" = 1 ]; then
  trap 'echo "browser: output kept in $TMP/out"' EXIT
else
  trap 'rm -rf "$TMP"' EXIT
fi

# The browser: Debian's package (Playwright cannot download its own builds here).
if [ ! -x "$CHROMIUM" ]; then
  echo "browser: installing Debian's chromium"
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  if ! { $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core; } \
    >"$TMP/apt.log" 2>&1; then
    tail -n 30 "$TMP/apt.log"
    setup_failed "apt-get install chromium failed"
  fi
  [ -x "$CHROMIUM" ] || setup_failed "$CHROMIUM is still missing after installing chromium"
fi

# playwright-core, pinned by tests/browser/package-lock.json.
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "browser: npm ci in tests/browser"
  if ! (cd tests/browser && npm ci --no-audit --no-fund) >"$TMP/npm.log" 2>&1; then
    tail -n 30 "$TMP/npm.log"
    setup_failed "npm ci in tests/browser failed"
  fi
fi

[ -x "$BIN" ] || setup_failed "no costwatch binary at $BIN (cargo build first, or set COSTWATCH_BIN)"

# Two runs into one output folder and one store: 0 (clean) and 3 (partial: the fixtures
# include malformed files on purpose) are both fine. The second is --full: with nothing new a
# run keeps the output as it is, and the league table would show no change column.
for n in 1 2; do
  rc=0
  start=$SECONDS
  full=()
  [ "$n" -eq 1 ] || full=(--full)
  "$BIN" run --out "$TMP/out" --store "$TMP/cw.db" "${full[@]}" >"$TMP/run-$n.log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    tail -n 40 "$TMP/run-$n.log"
    setup_failed "costwatch run $n exited $rc (want 0 or 3)"
  fi
  echo "browser: costwatch run $n exited $rc in $((SECONDS - start)) s"
done

# check.mjs prints one line per check, where the screenshots went, then the summary line.
export CHROMIUM_PATH="$CHROMIUM"
rc=0
node tests/browser/check.mjs "$TMP/out" "$SHOTS" 2>&1 | tee "$TMP/check.log" || rc=$?
if ! grep -Eq '^browser: [0-9]+ passed, [0-9]+ failed$' "$TMP/check.log"; then
  echo "browser: 0 passed, 1 failed" # check.mjs died before its summary
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
