#!/usr/bin/env bash
# scripts/slurm/submit.sh's checks before anything is submitted, with --dry-run (no Slurm
# needed): the manifest it would write lists each video of a folder (so every task splits the
# same list while the folder still fills) under the name it was given (a link keeps its own);
# a refused batch (models missing, an input refused or missing) submits nothing and says why;
# options that are submit.sh's own, array indices outside --tasks, more tasks than the
# cluster's MaxArraySize, a second submission while the OUTDIR's jobs run and a flag without
# its value are usage errors naming them. squeue and scontrol are stand-ins on PATH that play
# a cluster (a real one's state must not decide the test).
# Usage: submit_script_test.sh FACEMIRROR_CLI SHARED_DIR WORK_DIR. Exit 77 without the shared data.
set -euo pipefail
cli=$(realpath "$1")
shared=$2
work=$3
submit="$(cd "$(dirname "$0")/../.." && pwd)/scripts/slurm/submit.sh"
fail() { echo "submit_script_test: FAILED: $*" >&2; exit 1; }
[ -d "$shared/models/openface" ] || { echo "submit_script_test: SKIPPED: no shared data"; exit 77; }
video=$(find "$shared/videos" -type f -name changeLighting.wmv | sort | sed -n 1p)
[ -n "$video" ] || { echo "submit_script_test: SKIPPED: no changeLighting.wmv"; exit 77; }

rm -rf "$work"
mkdir -p "$work/cohort"
ln -s "$video" "$work/cohort/patient01.wmv"
ln -s "$video" "$work/cohort/patient02.wmv"
export FACEMIRROR="$cli" FACEMIRROR_MODELS="$shared/models/openface"
# The stand-ins: a cluster whose MaxArraySize is 8 and whose queue is $work/queue.txt.
mkdir -p "$work/bin"
printf '#!/bin/sh\necho "MaxArraySize            = 8"\n' >"$work/bin/scontrol"
# A controller that is down: squeue fails (the file squeue_down is there).
printf '#!/bin/sh\n[ -e "%s" ] && { echo "slurm_load_jobs error: Unable to contact slurm controller" >&2; exit 1; }\ncat "%s" 2>/dev/null || true\n' \
  "$work/squeue_down" "$work/queue.txt" >"$work/bin/squeue"
chmod +x "$work/bin/scontrol" "$work/bin/squeue"
export PATH="$work/bin:$PATH"
expect() {  # STATUS TEXT COMMAND...: COMMAND exits STATUS and says TEXT; nothing is written
  local status=$1 text=$2 out rc=0
  shift 2
  out=$("$@" 2>&1) || rc=$?
  [ "$rc" = "$status" ] || fail "'$*' exited $rc, not $status: $out"
  grep -qF -- "$text" <<<"$out" || fail "'$*' does not say '$text': $out"
  [ ! -e "$work/out" ] || fail "'$*' wrote $work/out"
}

dry=$(bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --dry-run 2>&1) ||
  fail "the dry run failed: $dry"
grep -qx "#   $work/cohort/patient01.wmv" <<<"$dry" || fail "the manifest lacks patient01: $dry"
grep -qx "#   $work/cohort/patient02.wmv" <<<"$dry" || fail "the manifest lacks patient02: $dry"
grep -q "#   $work/cohort\$" <<<"$dry" && fail "the manifest lists the folder, not its videos"
grep -q "tasks for" <<<"$dry" && fail "2 tasks for 2 videos were warned of: $dry"
many=$(bash "$submit" "$work/cohort" -o "$work/out" --tasks 3 --dry-run 2>&1) || fail "$many"
grep -qF "warning: 3 tasks for 2 videos: 1 will have nothing to do (--tasks 2 is enough)" \
  <<<"$many" || fail "3 tasks for 2 videos were not warned of: $many"
[ ! -e "$work/out" ] || fail "--dry-run wrote $work/out"

FACEMIRROR_MODELS="$work/no-models" expect 1 "nothing submitted" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --dry-run
FACEMIRROR_MODELS="$work/no-models" expect 1 "models folder '$work/no-models' does not exist" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --dry-run
mkdir -p "$work/other"
cp "$video" "$work/other/patient01.wmv"  # another file of the same name
expect 1 "(patient01): their outputs would overwrite each other" \
  bash "$submit" "$work/cohort" "$work/other/patient01.wmv" -o "$work/out" --tasks 2 --dry-run
expect 1 "refused '$work/absent.mp4': no such file" \
  bash "$submit" "$work/cohort" "$work/absent.mp4" -o "$work/out" --tasks 2 --dry-run
# Options that do not go together, which every task would fail on.
expect 1 "consensus tracks are CLNF tracks" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --dry-run -- --consensus 3 --hog
expect 2 "--array-tasks 5 is not a shard of --tasks 3" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 3 --array-tasks 0,5 --dry-run
expect 2 "--array-tasks 12 is not a shard of --tasks 8" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 8 --array-tasks '0-12:4%2' --dry-run
bash "$submit" "$work/cohort" -o "$work/out" --tasks 8 --array-tasks '0-7:4%2' --dry-run \
  >/dev/null 2>&1 || fail "Slurm's step and limit syntax 0-7:4%2 was refused"
expect 2 "--array-tasks '1-' is not a Slurm index list" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 8 --array-tasks '1-' --dry-run
expect 2 "--sbatch-arg --array=0-3: submit.sh sets that itself" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 8 --sbatch-arg --array=0-3 --dry-run
rm -rf "$work/out"
expect 2 "--tasks 9 is more than this cluster's MaxArraySize (8)" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 9 --dry-run
echo "4242|facemirror-aus|$work/out" >"$work/queue.txt"
expect 1 "nothing submitted: job(s) 4242 of an earlier submission to $work/out are still queued or running" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --dry-run
rm "$work/queue.txt"
touch "$work/squeue_down"
down=$(bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --dry-run 2>&1) ||
  fail "a failing squeue refused the dry run: $down"
grep -qF "warning: squeue failed (slurm_load_jobs error: Unable to contact slurm controller)" \
  <<<"$down" || fail "a failing squeue was not said: $down"
rm "$work/squeue_down"
rm -rf "$work/out"
for ours in --shard -o; do
  expect 2 "'$ours' after -- is submit.sh's" \
    bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --dry-run -- "$ours" x
done
expect 2 "'--manifest' after -- is submit.sh's" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --dry-run -- --manifest list.txt
expect 2 "-o needs a value" bash "$submit" "$work/cohort" --tasks 2 -o
# sbatch options are one word each: "-p" alone once took its value for an input video, and
# "--partition x" reached sbatch as one unknown option.
expect 2 "--sbatch-arg '-p': give the option and its value as one word" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --sbatch-arg -p local --dry-run
expect 2 "--sbatch-arg '--partition local': give the option and its value as one word" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --sbatch-arg "--partition local" --dry-run
expect 2 "--sbatch-arg --error=x.log: submit.sh sets that itself" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --sbatch-arg --error=x.log --dry-run
# Options given as --name=value, submit.sh's and sbatch's.
listed=$(bash "$submit" "$work/cohort" --output-dir="$work/out" --tasks=3 \
  --sbatch-arg=--account=lab --sbatch-arg "--comment=pilot study" --dry-run 2>&1) ||
  fail "--name=value options: $listed"
grep -q -- "--array=0-2 " <<<"$listed" || fail "--tasks=3 did not make 3 tasks: $listed"
[ "$(grep -c -- "--account=lab" <<<"$listed")" = 2 ] || fail "--sbatch-arg=--account=lab: $listed"
grep -qF -- '--comment=pilot\ study' <<<"$listed" || fail "a value with a blank: $listed"
# An output folder Slurm's log paths or the filesystem would refuse is said at once.
expect 2 "a '%' in the output folder's path" \
  bash "$submit" "$work/cohort" -o "$work/out_100%u" --tasks 2 --dry-run
echo "a note" >"$work/notes.txt"
expect 2 "-o $work/notes.txt/out: '$work/notes.txt' is a file" \
  bash "$submit" "$work/cohort" -o "$work/notes.txt/out" --tasks 2 --dry-run
help=$(bash "$submit" --help 2>/dev/null) || fail "--help exited non-zero"
grep -q "Running the same command again resubmits what is not done" <<<"$help" ||
  fail "--help does not explain on stdout: $help"
expect 1 "unknown output 'hog'" \
  bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --dry-run -- --outputs hog

# The models folder reaches the jobs as an absolute --models, however it was given: they run
# in OUTDIR, where a relative folder checked here would be missing (every task failing), and a
# site's --export=NONE would drop FACEMIRROR_MODELS.
ln -s "$shared/models/openface" "$work/models"
for given in "env" "-- --models models" "-- --models=models"; do
  if [ "$given" = env ]; then
    listed=$(cd "$work" && FACEMIRROR_MODELS=models bash "$submit" cohort -o out --tasks 1 \
      --dry-run 2>&1) || fail "FACEMIRROR_MODELS=models: $listed"
  else
    read -ra options <<<"$given"
    listed=$(cd "$work" && env -u FACEMIRROR_MODELS bash "$submit" cohort -o out --tasks 1 \
      --dry-run "${options[@]}" 2>&1) || fail "$given: $listed"
  fi
  grep -qE -- "--models(=| )$work/models( |$)" <<<"$listed" ||
    fail "$given: the jobs do not get the absolute models folder: $listed"
done
# The summary job gets the tasks' time and memory limits (a site may refuse a job without).
listed=$(bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --time 0:05:00 --mem 2G \
  --dry-run 2>&1) || fail "--time --mem: $listed"
grep "job.sh summary" <<<"$listed" | grep -q -- "--mem=2G.*--time=0:05:00" ||
  fail "the summary job lacks --mem/--time: $listed"
# When sbatch refuses the summary job, the array it already queued is cancelled.
printf '#!/bin/sh
for a; do [ "$a" = summary ] && { echo "sbatch: error: time limit required" >&2; exit 1; }; done
echo 555
' \
  >"$work/bin/sbatch"
printf '#!/bin/sh
echo "$@" >>"%s"
' "$work/cancelled.txt" >"$work/bin/scancel"
chmod +x "$work/bin/sbatch" "$work/bin/scancel"
out=$(bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 2>&1) && fail "a refused summary job was not an error: $out"
grep -qF "array job 555 is cancelled" <<<"$out" || fail "the refusal does not say so: $out"
[ "$(cat "$work/cancelled.txt" 2>/dev/null)" = 555 ] || fail "array job 555 was not cancelled"
rm -rf "$work/out" "$work/bin/sbatch" "$work/bin/scancel"

# When sbatch refuses the array (a bad --time, a partition that is not there), nothing is
# submitted and the manifest of the earlier submission is as it was.
mkdir -p "$work/out"
echo "$work/cohort/patient02.wmv" >"$work/out/manifest.txt"
printf '#!/bin/sh\necho "sbatch: error: Invalid --time specification" >&2\nexit 255\n' \
  >"$work/bin/sbatch"
chmod +x "$work/bin/sbatch"
out=$(bash "$submit" "$work/cohort" -o "$work/out" --tasks 2 --time 4h 2>&1) &&
  fail "a refused array was not an error: $out"
grep -qF "nothing submitted: sbatch refused the array job (above); $work/out/manifest.txt is as it was" \
  <<<"$out" || fail "the refusal does not say so: $out"
[ "$(cat "$work/out/manifest.txt")" = "$work/cohort/patient02.wmv" ] ||
  fail "the earlier manifest was replaced: $(cat "$work/out/manifest.txt")"
[ -z "$(find "$work/out" -name 'manifest.txt.*')" ] || fail "a manifest copy was left"
rm -rf "$work/out"

# Two submissions to one folder at the same moment: one is submitted, the other then finds
# its jobs queued and is refused (both once passed the queue check, and the second's
# manifest replaced the first's under its running tasks). This sbatch takes a second and
# queues what it is given.
printf '#!/bin/sh
sleep 1
echo "$$|facemirror-aus|%s" >>"%s"
echo $$
' "$work/out" "$work/queue.txt" >"$work/bin/sbatch"
chmod +x "$work/bin/sbatch"
bash "$submit" "$work/cohort/patient01.wmv" -o "$work/out" --tasks 1 >"$work/first.txt" 2>&1 &
first=$!
bash "$submit" "$work/cohort/patient02.wmv" -o "$work/out" --tasks 1 >"$work/second.txt" 2>&1 &
second=$!
rc_first=0 rc_second=0
wait "$first" || rc_first=$?
wait "$second" || rc_second=$?
[ "$((rc_first + rc_second))" = 1 ] ||
  fail "two submissions at once: exit $rc_first and $rc_second: $(cat "$work/first.txt" "$work/second.txt")"
grep -qF "still queued or running" "$work/first.txt" "$work/second.txt" ||
  fail "the refused one does not say why: $(cat "$work/first.txt" "$work/second.txt")"
rm -rf "$work/out" "$work/bin/sbatch" "$work/queue.txt"

# A list of videos in a file, submit.sh's own --manifest.
printf '%s\n' "$work/cohort/patient02.wmv" >"$work/list.txt"
listed=$(bash "$submit" --manifest "$work/list.txt" -o "$work/out" --tasks 1 --dry-run 2>&1) ||
  fail "--manifest FILE failed: $listed"
grep -qx "#   $work/cohort/patient02.wmv" <<<"$listed" || fail "--manifest FILE: $listed"
echo "submit_script_test: ok"
