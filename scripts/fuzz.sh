#!/usr/bin/env bash
# fuzz.sh SECONDS: builds the libFuzzer targets (fuzz/fuzz_*.cpp) in build/fuzz with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer, makes their seed corpora from ../shared
# (scripts/make_fuzz_corpus.sh) and runs every target for SECONDS seconds, one after another.
# Prints per target: executions per second, coverage (edges reached in our code; OpenCV and
# libav are not instrumented) and features, and the corpus size.
#
# Any finding (crash, sanitizer report, leak, uncaught exception, a check in the target, a
# single input over 25 s, more than 2 GiB) fails the run: the input is kept in
# build/fuzz/findings/<target>/ and the command that replays it is printed. The corpus each
# target grows is kept in build/fuzz/corpus/<target>/ for the next run. The inputs of bugs found
# so far are committed in fuzz/regressions/<target>/ and run at the start of every run.
#   FACEMIRROR_FUZZ_TARGETS="fuzz_video fuzz_pdm"  runs only these.
#   FACEMIRROR_FUZZ_SEED=N                         libFuzzer's random seed (default: a new one
#                                                  each run). A fixed seed makes a run follow the
#                                                  same mutations on any machine, up to where its
#                                                  time runs out, so a finding replays exactly.
#   FACEMIRROR_SHARED_DIR                          the shared data folder (default ../shared).
set -euo pipefail

seconds=${1:?usage: fuzz.sh SECONDS}
repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"
shared_dir=${FACEMIRROR_SHARED_DIR:-$repo_root/../shared}
build=build/fuzz

targets=${FACEMIRROR_FUZZ_TARGETS:-$(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')}
# -O1 -g1: quicker to build than -O2 -g and still names the line of a finding.
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" -DFACEMIRROR_SANITIZE=address,undefined \
  -DFACEMIRROR_BUILD_FUZZERS=ON -DFACEMIRROR_BUILD_TESTS=OFF -DFACEMIRROR_BUILD_TOOLS=OFF \
  -DFACEMIRROR_BUILD_BENCH=OFF -DFACEMIRROR_BUILD_PYTHON=OFF -DFACEMIRROR_BUILD_EXAMPLES=OFF \
  >/dev/null
# shellcheck disable=SC2086  # one word per target
cmake --build "$build" -j "$(nproc)" --target $targets
bash scripts/make_fuzz_corpus.sh "$build/seeds" "$shared_dir"

# halt_on_error/abort: the first report is the finding. OpenCV's and libav's own allocations
# live as long as the process (caches, codec tables), which LeakSanitizer does not see as
# leaks; a leak in our code is one.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
failed=()
printf '%-26s %10s %8s %8s %8s\n' target "exec/s" cov ft corpus
for t in $targets; do
  mkdir -p "$build/corpus/$t" "$build/findings/$t" "$build/logs"
  log=$build/logs/$t.log
  rc=0
  # Inputs that once found a bug (fuzz/regressions/<target>/, committed) run first every time.
  regressions=()
  if [ -d "fuzz/regressions/$t" ]; then regressions=("fuzz/regressions/$t"); fi
  # The target's scratch folder (fuzz_support.h): libFuzzer ends with _Exit, past atexit's
  # clean-up, so the folder lives here and goes after the run.
  rm -rf "$build/tmp/$t"
  mkdir -p "$build/tmp/$t"
  TMPDIR=$PWD/$build/tmp/$t "$build/fuzz/$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
    ${FACEMIRROR_FUZZ_SEED:+-seed="$FACEMIRROR_FUZZ_SEED"} \
    -print_final_stats=1 -artifact_prefix="$build/findings/$t/" \
    "$build/corpus/$t" "$build/seeds/$t" "${regressions[@]}" >"$log" 2>&1 || rc=$?
  rm -rf "$build/tmp/$t"
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  done_line=$(grep -E '^#[0-9]+.*(DONE|INITED|NEW|REDUCE|pulse)' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$done_line")
  printf '%-26s %10s %8s %8s %8s\n' "$t" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    echo "fuzz.sh: $t found a problem (exit $rc); last lines of $log:" >&2
    tail -n 40 "$log" >&2
    echo "fuzz.sh: replay with: $build/fuzz/$t $build/findings/$t/<file>" >&2
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
