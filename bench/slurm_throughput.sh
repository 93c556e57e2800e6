#!/usr/bin/env bash
# Throughput of a batch as a 1-task Slurm array against the same batch run locally, side by
# side on this machine: the cost of going through Slurm (scheduling, the batch step, the
# summary job's dependency does not count: only the array is timed).
#
#   bench/slurm_throughput.sh [--cli PATH] [--rounds N] [--shared DIR]
#
# Starts a throw-away single-node cluster (scripts/slurm/local_cluster.sh; root, slurm-wlm and
# munge needed), then per round runs the six shared videos once locally (`facemirror aus
# --workers $(nproc)`) and once through scripts/slurm/submit.sh --tasks 1 --cpus-per-task
# $(nproc), alternating which goes first (this machine's speed drifts; interleaving keeps the
# ratio fair). Slurm time runs from sbatch to the array's end as the controller sees it (the
# task log is watched until facemirror's last line, then the controller is polled every
# 0.05 s). Prints a Markdown table of fps per round and the mean ratio, and splits the array's
# time into facemirror's own (its "done ... in X s" line, model loading included) and Slurm's
# share (scheduling, launch, the poll). Each round also times a 1-task array that runs `true`:
# Slurm's fixed cost alone, from which the ceiling local / (local + that) follows, the best
# ratio any array of this batch could reach here. The CSVs of both runs are compared byte for
# byte.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cli="$repo/build/release/tools/facemirror/facemirror"
rounds=3
shared=${FACEMIRROR_SHARED_DIR:-$repo/../shared}
while [ $# -gt 0 ]; do
  case "$1" in
    --cli) cli=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --shared) shared=$2; shift 2 ;;
    *) echo "usage: $0 [--cli PATH] [--rounds N] [--shared DIR]" >&2; exit 2 ;;
  esac
done
cli=$(realpath "$cli")
videos=()
for name in default.wmv changeLighting.wmv 2015-10-15-15-14.avi multi_face.avi \
  subj01_timepoint01.mp4 subj02_timepoint01.mp4; do
  videos+=("$(find "$shared/videos" -type f -name "$name" | sort | sed -n 1p)")
done
work=$(mktemp -d)
cluster="$work/cluster"
trap 'bash "$repo/scripts/slurm/local_cluster.sh" stop "$cluster" || true; rm -rf "$work"' EXIT
eval "$(bash "$repo/scripts/slurm/local_cluster.sh" start "$cluster" $$)"
export FACEMIRROR="$cli" FACEMIRROR_MODELS="$shared/models/openface"
cores=$(nproc)

now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
local_run() {  # OUTDIR -> seconds
  local start end
  start=$(now)
  "$cli" aus "${videos[@]}" -o "$1" --workers "$cores" -q
  end=$(now)
  calc "$end - $start"
}
wait_for_end() {  # JOB: returns once the controller no longer counts it as queued or running
  # Captured before grep: with pipefail, `scontrol | grep -q` fails when grep stops early.
  while grep -Eq 'JobState=(PENDING|CONFIGURING|RUNNING|COMPLETING)' <<<"$(scontrol -o show job "$1")"; do
    sleep 0.05
  done
}
empty_array_run() {  # -> seconds from sbatch to the end of a 1-task array that does nothing
  local start end job
  start=$(now)
  job=$(sbatch --parsable --array=0-0 --cpus-per-task="$cores" --output=/dev/null --wrap true)
  wait_for_end "${job%%;*}"
  end=$(now)
  calc "$end - $start"
}
slurm_run() {  # OUTDIR -> seconds
  local start end ids job
  start=$(now)
  ids=$(bash "$repo/scripts/slurm/submit.sh" "${videos[@]}" -o "$1" --tasks 1 \
    --cpus-per-task "$cores" 2>/dev/null)
  job=$(sed -n 's/^array_job=//p' <<<"$ids")
  summary_job=$(sed -n 's/^summary_job=//p' <<<"$ids")
  # Until facemirror's last line is in the task log, one process looks at the file, forking
  # nothing: asking the controller five times a second (an scontrol process and a munge
  # credential each time), or even a grep and a sleep ten times a second (4-5% of a core in
  # `top`), took CPU from the task it was timing on this 2-core machine.
  python3 - "$1/logs/${job}_0.log" <<'WATCH'
import sys, time
path, seen = sys.argv[1], 0
while True:
    try:
        with open(path, "rb") as log:
            log.seek(seen)
            tail = log.read()
        if b"\ndone " in b"\n" + tail:
            break
        seen += tail.rfind(b"\n") + 1
    except FileNotFoundError:
        pass
    time.sleep(0.05)
WATCH
  wait_for_end "$job"
  end=$(now)
  grep -q 'JobState=COMPLETED' <<<"$(scontrol -o show job "$job")" || { echo "array $job failed" >&2; exit 1; }
  # facemirror's own time inside the task ("done ... in X s"): the rest is Slurm's.
  task_s=$(sed -n 's/^done .* in \([0-9.]*\) s .*/\1/p' "$1/logs/${job}_0.log")
  # Not timed, but waited for: the summary job must not share the node with what comes next
  # (the empty array below needs every CPU, and would time Slurm's cost plus the summary's).
  wait_for_end "$summary_job"
  calc "$end - $start"
}

# The first job after the controller starts waits ~3 s whatever the settings; that is a
# cluster's start, not a batch's cost.
empty_array_run >/dev/null

frames=0
echo "machine: $cores cores; $(uname -r); cli $cli"
echo
echo "| round | local s | local fps | 1-task array s | array fps | array / local | facemirror s in the task | Slurm's share s | empty array s | ceiling |"
echo "|---|---|---|---|---|---|---|---|---|---|"
sum_ratio=0
sum_ceiling=0
for round in $(seq "$rounds"); do
  # Not $(...): slurm_run sets task_s, which a subshell would lose.
  if [ $((round % 2)) = 1 ]; then
    t_local=$(local_run "$work/local_$round")
    slurm_run "$work/slurm_$round" >"$work/t_slurm"
  else
    slurm_run "$work/slurm_$round" >"$work/t_slurm"
    t_local=$(local_run "$work/local_$round")
  fi
  t_slurm=$(cat "$work/t_slurm")
  # Slurm's own cost, measured alone: no array can beat local / (local + this).
  t_empty=$(empty_array_run)
  if [ "$frames" = 0 ]; then
    for csv in "$work/local_$round"/*.csv; do frames=$((frames + $(wc -l <"$csv") - 1)); done
  fi
  for video in "${videos[@]}"; do
    stem=$(basename "${video%.*}")
    cmp -s "$work/local_$round/$stem.csv" "$work/slurm_$round/$stem.csv" ||
      { echo "$stem.csv differs between the local and the Slurm run" >&2; exit 1; }
  done
  ratio=$(calc "$t_local / $t_slurm")
  ceiling=$(calc "$t_local / ($t_local + $t_empty)")
  sum_ratio=$(calc "$sum_ratio + $ratio")
  sum_ceiling=$(calc "$sum_ceiling + $ceiling")
  printf '| %d | %.1f | %.1f | %.1f | %.1f | %.3f | %.1f | %.1f | %.2f | %.3f |\n' "$round" \
    "$t_local" "$(calc "$frames / $t_local")" "$t_slurm" "$(calc "$frames / $t_slurm")" "$ratio" \
    "$task_s" "$(calc "$t_slurm - $task_s")" "$t_empty" "$ceiling"
  rm -rf "$work/local_$round" "$work/slurm_$round"
done
printf '| mean | | | | | %.3f | | | | %.3f |\n' "$(calc "$sum_ratio / $rounds")" \
  "$(calc "$sum_ceiling / $rounds")"
echo
echo "($frames frames per run)"
