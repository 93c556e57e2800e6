#!/usr/bin/env bash
# no_test_switches_test.sh CLI FAULT_CLI LIBRARY SOURCE_DIR SHARED_DIR SCRATCH
#
# The fault injection of the tests (tests/support/fault_injection.h) must not reach users: no
# public header names it, libfacemirror.so does not export its seam, and the CLI that is
# installed ignores $FACEMIRROR_TEST_FAULT, while the tests' facemirror_fault_cli, built from
# the same CLI objects, honours the very same spec (so the spec is a live one), and says when a
# retry made a fault good. The runs need the shared data folder; without it only the static
# checks run.
set -euo pipefail
cli=$1 fault_cli=$2 lib=$3 source=$4 shared=$5 work=$6
fail() { echo "no_test_switches_test: $*" >&2; exit 1; }

if grep -rnE 'test_fault|TEST_FAULT|fault_plan|before_segment|inject' "$source/include"; then
  fail "a public header (above) names a test switch"
fi
for binary in "$cli" "$lib"; do
  for text in FACEMIRROR_TEST_FAULT "injected test fault"; do
    if grep -qa "$text" "$binary"; then fail "$binary contains '$text'"; fi
  done
done
if nm -D --defined-only "$lib" | grep before_segment; then
  fail "libfacemirror.so exports the fault seam (above)"
fi
# The control: the same greps do see the switch where it is meant to be.
grep -qa FACEMIRROR_TEST_FAULT "$fault_cli" || fail "$fault_cli lacks FACEMIRROR_TEST_FAULT"
nm "$fault_cli" | grep before_segment >/dev/null || fail "$fault_cli lacks the fault seam"

video="$shared/videos/openface-samples/changeLighting.wmv"
if [ ! -f "$video" ]; then
  echo "no_test_switches_test: $video absent: static checks only" >&2
  exit 0
fi
rm -rf "$work"
mkdir -p "$work"
cp "$video" "$work/victim.wmv"
export FACEMIRROR_TEST_FAULT="throw@victim#0"
run() {  # run BINARY OUTDIR: the exit status of `aus` on victim.wmv
  local status=0
  "$1" aus "$work/victim.wmv" -o "$2" --models "$shared/models/openface" -w 1 -q \
    >"$2.log" 2>&1 || status=$?
  echo "$status"
}
status=$(run "$cli" "$work/installed")
[ "$status" = 0 ] || { cat "$work/installed.log" >&2; fail "the installed CLI failed ($status)"; }
[ -s "$work/installed/victim.csv" ] || fail "the installed CLI wrote no victim.csv"
status=$(run "$fault_cli" "$work/fault")
[ "$status" != 0 ] || fail "facemirror_fault_cli ignored FACEMIRROR_TEST_FAULT"
grep -q "injected test fault" "$work/fault.log" || { cat "$work/fault.log" >&2; fail "no fault"; }
[ ! -e "$work/fault/victim.csv" ] || fail "facemirror_fault_cli wrote victim.csv"
# A fault the retry makes good leaves the CSV and is still said, naming the video and frames.
export FACEMIRROR_TEST_FAULT="throw@victim#0@once"
status=$(run "$fault_cli" "$work/once")
[ "$status" = 0 ] || { cat "$work/once.log" >&2; fail "a fault once failed the video ($status)"; }
cmp -s "$work/once/victim.csv" "$work/installed/victim.csv" || fail "the retry changed victim.csv"
grep -q "^NOTE '$work/victim.wmv': frames 1-.*injected test fault.*; done on the retry$" \
  "$work/once.log" || { cat "$work/once.log" >&2; fail "the retried fault was not said"; }
echo "no_test_switches_test: the installed CLI ignores FACEMIRROR_TEST_FAULT; the tests' honours it"
