#!/usr/bin/env bash
# Submits a facemirror batch to Slurm: one array task per shard and a summary job after them.
#
#   submit.sh INPUTS... -o OUTDIR --tasks N [--cpus-per-task C] [--mem M] [--time T]
#             [--partition P] [--command aus|mirror] [--array-tasks LIST] [--dry-run]
#             [-- extra facemirror options]
#
# INPUTS are video files or folders (expanded by facemirror, sorted by name). Writes
# OUTDIR/manifest.txt (the inputs as absolute paths), then submits
#   - an array job of N tasks (--array-tasks LIST: only those, e.g. "1,4" to resubmit two
#     shards): task I runs `facemirror COMMAND --manifest OUTDIR/manifest.txt --shard I/N
#     --workers C`; requeue-safe (--requeue; complete outputs are skipped, so a preempted or
#     cancelled task run again finishes its shard); log OUTDIR/logs/<job>_<task>.log;
#   - a summary job once every task has ended, however (afterany): `facemirror summary`;
#     log OUTDIR/logs/summary_<job>.log, table in OUTDIR/status/summary.csv.
# Running the same command again resubmits what is not done; nothing done is redone.
# The CLI is $FACEMIRROR, else `facemirror` from PATH; it, the models folder, the inputs and
# OUTDIR must be on a filesystem every node sees (the jobs get this shell's environment, so
# FACEMIRROR_MODELS carries over). --dry-run prints the sbatch commands and writes nothing.
# Prints "array_job=ID" and "summary_job=ID" on stdout.
set -euo pipefail

usage() {
  sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  [ -n "${1:-}" ] && echo "submit.sh: $1" >&2
  exit 2
}

inputs=() extra=() outdir="" tasks="" cpus=1 mem="" time_limit="" partition="" command=aus
array_tasks="" dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    -o | --output-dir) outdir=${2:?}; shift 2 ;;
    --tasks) tasks=${2:?}; shift 2 ;;
    --cpus-per-task) cpus=${2:?}; shift 2 ;;
    --mem) mem=${2:?}; shift 2 ;;
    --time) time_limit=${2:?}; shift 2 ;;
    --partition) partition=${2:?}; shift 2 ;;
    --command) command=${2:?}; shift 2 ;;
    --array-tasks) array_tasks=${2:?}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage ;;
    --) shift; extra=("$@"); break ;;
    -*) usage "unknown option '$1' (facemirror's own options go after --)" ;;
    *) inputs+=("$1"); shift ;;
  esac
done
[ ${#inputs[@]} -gt 0 ] || usage "no INPUTS"
[ -n "$outdir" ] || usage "-o OUTDIR is required"
[[ "$tasks" =~ ^[1-9][0-9]*$ ]] || usage "--tasks N must be a positive whole number"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || usage "--cpus-per-task C must be a positive whole number"
case "$command" in aus | mirror) ;; *) usage "--command must be aus or mirror" ;; esac

facemirror=${FACEMIRROR:-$(command -v facemirror || true)}
[ -n "$facemirror" ] && [ -x "$facemirror" ] ||
  usage "no facemirror CLI: set FACEMIRROR or put facemirror on PATH"
facemirror=$(realpath "$facemirror")
job_script="$(cd "$(dirname "$0")" && pwd)/job.sh"

absolute_inputs=()
for input in "${inputs[@]}"; do
  [ -e "$input" ] || echo "submit.sh: warning: '$input' does not exist (it will fail alone)" >&2
  # -s: a link keeps its own name (the CSV is named after it, as in a local run).
  absolute_inputs+=("$(realpath -ms "$input")")
done
outdir=$(realpath -m "$outdir")
manifest="$outdir/manifest.txt"
logs="$outdir/logs"

common=(--job-name="facemirror-$command" --cpus-per-task="$cpus" --chdir="$outdir")
[ -n "$mem" ] && common+=(--mem="$mem")
[ -n "$time_limit" ] && common+=(--time="$time_limit")
[ -n "$partition" ] && common+=(--partition="$partition")
array_args=(--parsable "${common[@]}" --array="${array_tasks:-0-$((tasks - 1))}" --requeue
  --open-mode=append --output="$logs/%A_%a.log"
  "$job_script" shard "$facemirror" "$command" "$manifest" "$outdir" "$tasks" "${extra[@]}")
summary_args=(--parsable --job-name="facemirror-summary" --cpus-per-task=1 --chdir="$outdir"
  --output="$logs/summary_%j.log")
[ -n "$partition" ] && summary_args+=(--partition="$partition")

if [ "$dry_run" = 1 ]; then
  echo "# manifest $manifest:"
  printf '#   %s\n' "${absolute_inputs[@]}"
  printf '%q ' sbatch "${array_args[@]}"
  echo
  printf '%q ' sbatch "${summary_args[@]}" --dependency=afterany:ARRAY_JOB_ID \
    "$job_script" summary "$facemirror" "$command" "$manifest" "$outdir"
  echo
  exit 0
fi

mkdir -p "$outdir" "$logs"
# Written whole (rename), and the same bytes for the same inputs, so a resubmission while
# tasks of the first submission still run hands them the same split.
printf '%s\n' "${absolute_inputs[@]}" >"$manifest.partial-$$"
if [ -f "$manifest" ] && ! cmp -s "$manifest" "$manifest.partial-$$"; then
  echo "submit.sh: warning: $manifest lists other inputs than before; it is replaced" >&2
fi
mv -f "$manifest.partial-$$" "$manifest"

array_job=$(sbatch "${array_args[@]}")
array_job=${array_job%%;*}
summary_job=$(sbatch "${summary_args[@]}" --dependency="afterany:$array_job" \
  "$job_script" summary "$facemirror" "$command" "$manifest" "$outdir")
summary_job=${summary_job%%;*}
echo "array_job=$array_job"
echo "summary_job=$summary_job"
echo "submit.sh: $tasks shards of $command -> $outdir (logs in $logs)" >&2
