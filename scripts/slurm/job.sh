#!/usr/bin/env bash
# The batch script of the jobs scripts/slurm/submit.sh submits (sbatch copies it at submission,
# so only its arguments need to be on the shared filesystem).
#
#   job.sh shard FACEMIRROR COMMAND MANIFEST OUTDIR SHARDS [OPTIONS...]
#     One array task: `facemirror COMMAND --manifest MANIFEST --shard $SLURM_ARRAY_TASK_ID/SHARDS
#     -o OUTDIR --workers $SLURM_CPUS_PER_TASK OPTIONS...`. Complete outputs are skipped, so a
#     requeued, cancelled or resubmitted task finishes its shard without redoing anything.
#   job.sh summary FACEMIRROR KIND MANIFEST OUTDIR
#     The summary job: `facemirror summary OUTDIR --manifest MANIFEST --kind KIND`.
set -euo pipefail

role=${1:-}
shift || true
echo "facemirror job: $role on $(hostname) at $(date -u +%FT%TZ)," \
  "job ${SLURM_JOB_ID:-?} array ${SLURM_ARRAY_JOB_ID:-none}_${SLURM_ARRAY_TASK_ID:-none}," \
  "restart ${SLURM_RESTART_COUNT:-0}"
case "$role" in
  shard)
    [ $# -ge 5 ] || { echo "job.sh: shard needs FACEMIRROR COMMAND MANIFEST OUTDIR SHARDS" >&2; exit 2; }
    facemirror=$1 command=$2 manifest=$3 outdir=$4 shards=$5
    shift 5
    # The task's CPUs as workers and no progress bar in the log, unless the options say.
    workers=(--workers "${SLURM_CPUS_PER_TASK:-1}") progress=(--progress none)
    for option in "$@"; do
      case "$option" in
        -w | -w* | --workers | --workers=*) workers=() ;;
        --progress | --progress=*) progress=() ;;
      esac
    done
    # exec: Slurm's SIGTERM (scancel, preemption, time limit) reaches facemirror itself, which
    # removes its unfinished files: those videos are missing until a run does them.
    exec "$facemirror" "$command" --manifest "$manifest" --shard "auto/$shards" -o "$outdir" \
      "${workers[@]}" "${progress[@]}" "$@"
    ;;
  summary)
    [ $# -eq 4 ] || { echo "job.sh: summary needs FACEMIRROR KIND MANIFEST OUTDIR" >&2; exit 2; }
    exec "$1" summary "$4" --manifest "$3" --kind "$2"
    ;;
  *)
    echo "job.sh: first argument must be shard or summary" >&2
    exit 2
    ;;
esac
