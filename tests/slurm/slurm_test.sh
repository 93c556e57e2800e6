#!/usr/bin/env bash
# A facemirror batch on a real single-node Slurm cluster (munged, slurmctld, slurmd started
# here by scripts/slurm/local_cluster.sh, stopped at the end whatever happens):
#  1. scripts/slurm/submit.sh over the six shared videos with 3 tasks: every CSV byte-identical
#     to one local `facemirror aus` run; every task and the summary job completed; the summary
#     reports 6/6; each video analysed exactly once.
#  2. A second batch (the four shorter videos, 2 tasks): submitting it again while it runs is
#     refused, naming its job; one task is cancelled (scancel) after
#     its first video is written, before its second; the summary job after it reports the
#     interrupted video as failed; the same submit.sh command again finishes the batch: every
#     CSV identical to the local run, each video analysed exactly once over both submissions,
#     no partial file, and the summary reports 4/4.
# Usage: slurm_test.sh FACEMIRROR_CLI SHARED_DIR WORK_DIR. Exit 77 (skipped, with the reason)
# without the shared data, or where Slurm cannot be installed or started.
set -euo pipefail

cli=$(realpath "$1")
shared=$2
work=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
slurm="$repo/scripts/slurm"

skip() { echo "slurm_array_test: SKIPPED: $*"; exit 77; }
fail() { echo "slurm_array_test: FAILED: $*" >&2; exit 1; }
note() { echo "slurm_array_test: [$(date +%T)] $*"; }

[ -d "$shared/models/openface" ] || skip "no shared data folder at '$shared'"
names=(default.wmv changeLighting.wmv 2015-10-15-15-14.avi multi_face.avi
  subj01_timepoint01.mp4 subj02_timepoint01.mp4)
videos=()
for name in "${names[@]}"; do
  file=$(find "$shared/videos" -type f -name "$name" | sort | sed -n 1p)
  [ -n "$file" ] || skip "shared video $name not found under $shared/videos"
  videos+=("$file")
done
short_videos=("${videos[0]}" "${videos[1]}" "${videos[4]}" "${videos[5]}")

rm -rf "$work"
mkdir -p "$work"
bash "$repo/scripts/install_deps.sh" --slurm >"$work/install_deps.log" 2>&1 ||
  skip "scripts/install_deps.sh could not install slurm-wlm and munge (see $work/install_deps.log)"

cluster="$work/cluster"
trap 'bash "$slurm/local_cluster.sh" stop "$cluster" || true' EXIT
set +e
cluster_env=$(bash "$slurm/local_cluster.sh" start "$cluster" $$)
started=$?
set -e
if [ "$started" = 3 ]; then skip "Slurm cannot start here (reason above)"; fi
[ "$started" = 0 ] || fail "local_cluster.sh start exited $started"
eval "$cluster_env"
export FACEMIRROR="$cli" FACEMIRROR_MODELS="$shared/models/openface"

# One line per job (per task of an array). Captured whole before anything greps it: with
# pipefail, `scontrol | grep -q` fails when grep stops reading early.
job_info() { scontrol -o show job "$1" 2>/dev/null || true; }
# All of a job's (or array's) tasks have ended.
wait_for() {
  local deadline=$((SECONDS + $2))
  while grep -Eq 'JobState=(PENDING|CONFIGURING|RUNNING|COMPLETING|SUSPENDED|REQUEUED|RESIZING)' \
    <<<"$(job_info "$1")"; do
    [ $SECONDS -lt $deadline ] || { job_info "$1" >&2; fail "job $1 still running after $2 s"; }
    sleep 1
  done
}
job_states() { job_info "$1" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr -s ' '; }
half_written() { find "$1" -name '*.partial-*'; }
submit() {  # OUTDIR TASKS INPUTS... -> sets array_job, summary_job
  local out=$1 tasks=$2 ids
  shift 2
  ids=$(bash "$slurm/submit.sh" "$@" -o "$out" --tasks "$tasks" --cpus-per-task 1)
  array_job=$(sed -n 's/^array_job=//p' <<<"$ids")
  summary_job=$(sed -n 's/^summary_job=//p' <<<"$ids")
  [ -n "$array_job" ] && [ -n "$summary_job" ] || fail "submit.sh printed no job ids: $ids"
}
# Every video's CSV equals the local run's, nothing else is there and no file is half-written.
check_outputs() {  # OUTDIR VIDEOS...
  local out=$1 video stem
  shift
  for video in "$@"; do
    stem=$(basename "${video%.*}")
    [ -f "$out/$stem.csv" ] || fail "$out/$stem.csv is missing"
    cmp -s "$local_out/$stem.csv" "$out/$stem.csv" ||
      fail "$out/$stem.csv differs from the local run's $local_out/$stem.csv"
  done
  [ "$(find "$out" -maxdepth 1 -name '*.csv' | wc -l)" = $# ] ||
    fail "$out holds other CSVs than the $# expected: $(ls "$out")"
  [ -z "$(half_written "$out")" ] || fail "half-written files left in $out: $(half_written "$out")"
}
# Each video analysed ("ok" line) exactly once over all task logs of OUTDIR.
check_analysed_once() {  # OUTDIR VIDEOS...
  local out=$1 video count
  shift
  for video in "$@"; do
    count=$(cat "$out"/logs/[0-9]*.log | grep -c "^ok  *$video -> " || true)
    [ "$count" = 1 ] || fail "$video was analysed $count times over $out/logs (expected once)"
  done
}

note "local reference run: facemirror aus over ${#videos[@]} videos"
local_out="$work/local"
start=$SECONDS
"$cli" aus "${videos[@]}" -o "$local_out" --progress none 2>"$work/local.log" ||
  fail "local run failed: $(cat "$work/local.log")"
note "local run took $((SECONDS - start)) s"

note "batch 1: ${#videos[@]} videos, 3 tasks"
out1="$work/batch1"
start=$SECONDS
submit "$out1" 3 "${videos[@]}"
wait_for "$array_job" 400
wait_for "$summary_job" 60
note "batch 1 took $((SECONDS - start)) s: array $(job_states "$array_job")"
[ "$(job_states "$array_job")" = " 3 JobState=COMPLETED" ] ||
  fail "array tasks did not all complete: $(job_states "$array_job"); logs: $(tail -n 5 "$out1"/logs/*)"
grep -q 'JobState=COMPLETED.*ExitCode=0:0' <<<"$(job_info "$summary_job")" ||
  fail "summary job $summary_job did not complete with exit 0"
for task in 0 1 2; do
  grep -q "^shard $task/3: " "$out1/logs/${array_job}_$task.log" || fail "task $task ran no shard"
done
grep -q '^done 6/6, failed 0, missing 0$' "$out1/logs/summary_$summary_job.log" ||
  fail "summary does not report 6/6: $(cat "$out1/logs/summary_$summary_job.log")"
[ "$(grep -c ',done,' "$out1/status/summary.csv")" = 6 ] || fail "summary.csv lacks 6 done rows"
check_outputs "$out1" "${videos[@]}"
check_analysed_once "$out1" "${videos[@]}"

note "batch 2: ${#short_videos[@]} videos, 2 tasks, task 0 cancelled after its first video"
out2="$work/batch2"
submit "$out2" 2 "${short_videos[@]}"
first_array=$array_job
first_summary=$summary_job
# A second submission while the first's jobs are queued or running would redo their work.
if again=$(bash "$slurm/submit.sh" "${short_videos[@]}" -o "$out2" --tasks 2 2>&1); then
  fail "a second submission to $out2 while job $first_array runs was accepted: $again"
fi
grep -q "$first_array.*still queued or running" <<<"$again" ||
  fail "the refused second submission does not name job $first_array: $again"
# Shard 0 holds default (288 frames), then changeLighting (88): cancel between the two.
first_csv="$out2/default.csv"
second_csv="$out2/changeLighting.csv"
deadline=$((SECONDS + 300))
until [ -f "$first_csv" ]; do
  [ $SECONDS -lt $deadline ] || fail "$first_csv did not appear"
  sleep 0.2
done
scancel "${first_array}_0"
note "cancelled task ${first_array}_0"
wait_for "$first_array" 120
wait_for "$first_summary" 60
[ ! -f "$second_csv" ] || fail "the cancel came after task 0's second video: nothing was interrupted"
grep -q 'JobState=CANCELLED' <<<"$(job_info "${first_array}_0")" ||
  fail "task 0 was not cancelled: $(job_info "${first_array}_0")"
grep -q 'JobState=FAILED' <<<"$(job_info "$first_summary")" ||
  fail "the summary after the cancel did not fail: $(cat "$out2/logs/summary_$first_summary.log")"
grep -Eq '^(failed|missing) .*changeLighting' "$out2/logs/summary_$first_summary.log" ||
  fail "the summary after the cancel does not name changeLighting"
[ -z "$(half_written "$out2")" ] || fail "the cancel left half-written files: $(half_written "$out2")"

note "batch 2 resubmitted"
submit "$out2" 2 "${short_videos[@]}"
wait_for "$array_job" 300
wait_for "$summary_job" 60
[ "$(job_states "$array_job")" = " 2 JobState=COMPLETED" ] ||
  fail "resubmitted tasks did not complete: $(job_states "$array_job")"
grep -q '^done 4/4, failed 0, missing 0$' "$out2/logs/summary_$summary_job.log" ||
  fail "summary does not report 4/4: $(cat "$out2/logs/summary_$summary_job.log")"
grep -q "^skip   ${short_videos[0]} " "$out2/logs/${array_job}_0.log" ||
  fail "the resubmitted task 0 did not skip its finished video"
check_outputs "$out2" "${short_videos[@]}"
check_analysed_once "$out2" "${short_videos[@]}"
note "passed"
