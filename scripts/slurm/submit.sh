#!/usr/bin/env bash
# Submits a facemirror batch to Slurm: one array task per shard and a summary job after them.
#
#   submit.sh INPUTS... -o OUTDIR --tasks N [--cpus-per-task C] [--mem M] [--time T]
#             [--partition P] [--command aus|mirror] [--array-tasks LIST] [--manifest FILE]
#             [--sbatch-arg ARG]... [--dry-run] [-- extra facemirror options]
#
# INPUTS are video files or folders; --manifest FILE adds the inputs it lists (one per line).
# First `facemirror COMMAND ... --list-inputs` checks, before anything is submitted, the
# options, the inputs (a refused or missing one stops the submission) and the models folder,
# and expands the folders; its list becomes OUTDIR/manifest.txt (absolute paths, links keep
# their names), so every task splits the same list even while a folder still fills. Then it
# submits
#   - an array job of N tasks (--array-tasks LIST: only those, e.g. "1,4" to resubmit two
#     shards): task I runs `facemirror COMMAND --manifest OUTDIR/manifest.txt --shard I/N
#     --workers C`; requeue-safe (--requeue; complete outputs are skipped, so a preempted or
#     cancelled task run again finishes its shard); log OUTDIR/logs/<job>_<task>.log;
#   - a summary job once every task has ended, however (afterany): `facemirror summary`;
#     log OUTDIR/logs/summary_<job>.log, table in OUTDIR/status/summary.csv.
# Running the same command again resubmits what is not done; nothing done is redone. It is
# refused while a job of an earlier submission to OUTDIR is still queued or running.
# --sbatch-arg ARG is given to both sbatch calls, one word each: an option and its value joined
# (--sbatch-arg --account=lab, --sbatch-arg=--qos=long, --sbatch-arg -Alab), but not one
# submit.sh sets itself (--array, --output, --error, --chdir, --job-name, --dependency: refused).
# submit.sh's own options take their value as the next word or after '=' (--tasks=8).
# The CLI is $FACEMIRROR, else `facemirror` from PATH; it, the models folder, the inputs and
# OUTDIR must be on a filesystem every node sees. The models folder (-- --models DIR, else
# $FACEMIRROR_MODELS) is checked here and given to the jobs as an absolute --models, so neither
# the jobs' folder (OUTDIR) nor a site's --export=NONE changes it; --mem and --time apply to
# the summary job too. --dry-run prints the sbatch commands and writes nothing. Two submissions
# to one OUTDIR at once take turns (a lock in OUTDIR/logs): the second then finds the first's
# jobs queued and is refused. A refused sbatch submits nothing and leaves OUTDIR's manifest as
# it was.
# Prints "array_job=ID" and "summary_job=ID" on stdout.
set -euo pipefail

usage() {
  sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  [ -n "${1:-}" ] && echo "submit.sh: $1" >&2
  exit 2
}
refuse() {  # a refusal that is no usage error: the reason alone
  echo "submit.sh: nothing submitted: $1" >&2
  exit 1
}
plural() {  # plural COUNT WORD: "1 input", "2 inputs"
  if [ "$1" = 1 ]; then printf '1 %s' "$2"; else printf '%s %ss' "$1" "$2"; fi
}

inputs=() extra=() outdir="" tasks="" cpus=1 mem="" time_limit="" partition="" command=aus
array_tasks="" dry_run=0 list_file="" sbatch_extra=()
value() {  # value OPTION "$@": the option's value, or a usage error naming the option
  [ $# -ge 2 ] && [ -n "$2" ] || usage "$1 needs a value"
  printf '%s' "$2"
}
while [ $# -gt 0 ]; do
  case "$1" in
    --output-dir=* | --tasks=* | --cpus-per-task=* | --mem=* | --time=* | --partition=* | \
      --command=* | --array-tasks=* | --manifest=* | --sbatch-arg=*)
      option=${1%%=*} given=${1#*=}
      shift
      set -- "$option" "$given" "$@"
      continue ;;
    -o | --output-dir) outdir=$(value "$@"); shift 2 ;;
    --tasks) tasks=$(value "$@"); shift 2 ;;
    --cpus-per-task) cpus=$(value "$@"); shift 2 ;;
    --mem) mem=$(value "$@"); shift 2 ;;
    --time) time_limit=$(value "$@"); shift 2 ;;
    --partition) partition=$(value "$@"); shift 2 ;;
    --command) command=$(value "$@"); shift 2 ;;
    --array-tasks) array_tasks=$(value "$@"); shift 2 ;;
    --manifest) list_file=$(value "$@"); shift 2 ;;
    --sbatch-arg) sbatch_extra+=("$(value "$@")"); shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    -*) usage "unknown option '$1' (facemirror's own options go after --)" ;;
    *) inputs+=("$1"); shift ;;
  esac
done
[ ${#inputs[@]} -gt 0 ] || [ -n "$list_file" ] || usage "no INPUTS (or --manifest FILE)"
[ -n "$outdir" ] || usage "-o OUTDIR is required"
[[ "$tasks" =~ ^[1-9][0-9]*$ ]] || usage "--tasks N must be a positive whole number"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || usage "--cpus-per-task C must be a positive whole number"
case "$command" in aus | mirror) ;; *) usage "--command must be aus or mirror" ;; esac
for option in "${extra[@]}"; do
  case "$option" in
    --manifest | --manifest=* | --shard | --shard=* | -o | -o* | --output-dir | --output-dir=*)
      usage "'$option' after -- is submit.sh's to set (give --manifest and -o before --)" ;;
  esac
done
# The models folder goes to the jobs as an absolute --models: they run in OUTDIR (a relative
# folder checked here would be missing there), and a site's --export=NONE would drop
# FACEMIRROR_MODELS.
models_given=0
for i in "${!extra[@]}"; do
  case "${extra[$i]}" in
    --models)
      next=$((i + 1))
      [ "$next" -lt "${#extra[@]}" ] || usage "--models needs a folder"
      extra[next]=$(realpath -ms -- "${extra[next]}")
      models_given=1 ;;
    --models=*) extra[i]="--models=$(realpath -ms -- "${extra[i]#--models=}")"; models_given=1 ;;
  esac
done
if [ "$models_given" = 0 ] && [ -n "${FACEMIRROR_MODELS:-}" ]; then
  extra+=(--models "$(realpath -ms -- "$FACEMIRROR_MODELS")")
fi
for arg in "${sbatch_extra[@]}"; do
  case "$arg" in
    --array* | -a* | --output* | -o* | --error* | -e* | --chdir* | -D* | --job-name* | -J* | \
      --dependency* | -d* | --parsable)
      usage "--sbatch-arg $arg: submit.sh sets that itself (--array-tasks chooses the shards)" ;;
  esac
  # "-p" alone left its value to be taken for an input, "--partition x" reached sbatch as one
  # unknown option; a value with a blank after '=' is one word (--comment=pilot study).
  if [[ "$arg" =~ ^-[A-Za-z]$ || "$arg" =~ ^-[A-Za-z][[:space:]] || "$arg" =~ ^--[^=]*[[:space:]] ]]; then
    usage "--sbatch-arg '$arg': give the option and its value as one word (--partition=NAME, --account=NAME, or -pNAME)"
  fi
done
if [ -n "$array_tasks" ]; then
  # Slurm's list syntax ("1,4", "2-5", "0-15:4", "0-9%2"): every index must be a shard of
  # --tasks N (read into an array: no word of it is taken for a file pattern).
  range='[0-9]+(-[0-9]+(:[0-9]+)?)?'
  [[ "$array_tasks" =~ ^$range(,$range)*(%[0-9]+)?$ ]] ||
    usage "--array-tasks '$array_tasks' is not a Slurm index list (e.g. 1,4 or 2-5 or 0-15:4%2)"
  read -ra indices <<<"$(sed 's/%[0-9]*$//; s/:[0-9]*//g; s/[,-]/ /g' <<<"$array_tasks")"
  for index in "${indices[@]}"; do
    [[ "$index" =~ ^[0-9]+$ ]] || usage "--array-tasks '$array_tasks' is not a Slurm index list"
    [ "$index" -lt "$tasks" ] || usage "--array-tasks $index is not a shard of --tasks $tasks (0 to $((tasks - 1)))"
  done
fi
if command -v scontrol >/dev/null; then
  max_array=$( (scontrol show config 2>/dev/null || true) | awk '$1 == "MaxArraySize" {print $3}')
  if [[ "$max_array" =~ ^[0-9]+$ ]] && [ "$tasks" -gt "$max_array" ]; then
    usage "--tasks $tasks is more than this cluster's MaxArraySize ($max_array)"
  fi
fi

facemirror=${FACEMIRROR:-$(command -v facemirror || true)}
[ -n "$facemirror" ] && [ -x "$facemirror" ] ||
  usage "no facemirror CLI: set FACEMIRROR or put facemirror on PATH"
facemirror=$(realpath "$facemirror")
job_script="$(cd "$(dirname "$0")" && pwd)/job.sh"

outdir=$(realpath -m "$outdir")
manifest="$outdir/manifest.txt"
logs="$outdir/logs"
# Slurm reads % in a log path as its own patterns (%u, %j): the logs would go elsewhere, and
# the jobs fail without one.
case "$outdir" in *%*) usage "-o $outdir: a '%' in the output folder's path is one Slurm reads as a pattern in the jobs' log paths; choose a folder without one" ;; esac
# The folder must be one that can be made: the nearest existing folder above it, writable.
above=$outdir
while [ ! -e "$above" ]; do above=$(dirname "$above"); done
[ -d "$above" ] || usage "-o $outdir: '$above' is a file, not a folder"
[ -w "$above" ] || usage "-o $outdir: '$above' is not writable"

# The check before submitting: facemirror itself expands the inputs and reads the options.
list_args=("${inputs[@]}")
[ -n "$list_file" ] && list_args+=(--manifest "$list_file")
if ! listed=$("$facemirror" "$command" "${list_args[@]}" -o "$outdir" --list-inputs \
  "${extra[@]}"); then
  echo "submit.sh: nothing submitted: facemirror $command refused the batch (above)" >&2
  exit 1
fi
[ -n "$listed" ] || usage "the inputs hold no video"
mapfile -t absolute_inputs <<<"$listed"
if [ "$tasks" -gt "${#absolute_inputs[@]}" ]; then
  echo "submit.sh: warning: $(plural "$tasks" task) for $(plural "${#absolute_inputs[@]}" video):" \
    "$((tasks - ${#absolute_inputs[@]})) will have nothing to do (--tasks ${#absolute_inputs[@]} is enough)" >&2
fi

if [ "$dry_run" = 0 ]; then
  mkdir -p "$logs" || refuse "cannot create $logs"
  # Two submissions to one OUTDIR at the same moment: the second waits here until the first has
  # submitted, and its check below then finds the first's jobs queued.
  exec 9>>"$logs/.submit.lock"
  flock 9
fi

# A second array on the same OUTDIR would redo what the first is doing.
if command -v squeue >/dev/null; then
  if queue=$(squeue -h -o '%A|%j|%Z' 2>&1); then
    running=$(awk -F'|' -v dir="$outdir" '$2 ~ /^facemirror-/ && $3 == dir {print $1}' \
      <<<"$queue" | sort -u | tr '\n' ' ')
    [ -z "$running" ] || refuse "job(s) ${running% } of an earlier submission to $outdir are still queued or running: resubmit once they end (or scancel them)"
  else
    # Said, not refused: sbatch is the judge of whether the cluster takes jobs.
    echo "submit.sh: warning: squeue failed (${queue%%$'\n'*}): jobs of an earlier submission to $outdir still queued could not be looked for" >&2
  fi
fi

common=(--job-name="facemirror-$command" --cpus-per-task="$cpus" --chdir="$outdir"
  "${sbatch_extra[@]}")
[ -n "$mem" ] && common+=(--mem="$mem")
[ -n "$time_limit" ] && common+=(--time="$time_limit")
[ -n "$partition" ] && common+=(--partition="$partition")
array_args=(--parsable "${common[@]}" --array="${array_tasks:-0-$((tasks - 1))}" --requeue
  --open-mode=append --output="$logs/%A_%a.log"
  "$job_script" shard "$facemirror" "$command" "$manifest" "$outdir" "$tasks" "${extra[@]}")
summary_args=(--parsable --job-name="facemirror-summary" --cpus-per-task=1 --chdir="$outdir"
  --output="$logs/summary_%j.log" "${sbatch_extra[@]}")
# The summary reads status files only, but a site may refuse a job without a time or memory
# limit: the tasks' limits serve.
[ -n "$mem" ] && summary_args+=(--mem="$mem")
[ -n "$time_limit" ] && summary_args+=(--time="$time_limit")
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

# Written whole (rename), and the same bytes for the same inputs, so a resubmission while
# tasks of the first submission still run hands them the same split. The one before is kept
# until sbatch has taken the array: a refused submission leaves it as it was.
printf '%s\n' "${absolute_inputs[@]}" >"$manifest.partial-$$"
before=""
if [ -f "$manifest" ] && ! cmp -s "$manifest" "$manifest.partial-$$"; then
  echo "submit.sh: warning: $manifest lists other inputs than before; it is replaced" >&2
  before="$manifest.before-$$"
  cp -p "$manifest" "$before"
fi
mv -f "$manifest.partial-$$" "$manifest"

if ! array_job=$(sbatch "${array_args[@]}"); then
  [ -z "$before" ] || mv -f "$before" "$manifest"
  refuse "sbatch refused the array job (above)${before:+; $manifest is as it was}"
fi
[ -z "$before" ] || rm -f "$before"
array_job=${array_job%%;*}
if ! summary_job=$(sbatch "${summary_args[@]}" --dependency="afterany:$array_job" \
  "$job_script" summary "$facemirror" "$command" "$manifest" "$outdir"); then
  # An array without its summary would run unreported and block a resubmission: cancelled.
  scancel "$array_job" || true
  refuse "sbatch refused the summary job (above); array job $array_job is cancelled"
fi
summary_job=${summary_job%%;*}
echo "array_job=$array_job"
echo "summary_job=$summary_job"
echo "submit.sh: $(plural "${#absolute_inputs[@]}" input) in $(plural "$tasks" shard) of $command -> $outdir (logs in $logs)" >&2
