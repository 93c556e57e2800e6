#!/usr/bin/env bash
# kill_resume_test.sh CLI SHARED_DIR SCRATCH aus|mirror
#
# kill -9 in the middle of a batch, in both isolation modes, then the same command again:
#  - right after the kill, every output under its final name is complete (byte-identical to an
#    uninterrupted run's), the rest are absent (temporary .partial-* files may be left);
#  - the rerun completes the batch: every output byte-identical to the uninterrupted run's, and
#    no .partial-* file left behind (the rerun removes the orphans of the killed run).
# Three copies of a 45-frame clip, two workers, 15-frame segments; the whole process group is
# killed as soon as the first output appears, while the other videos are in flight.
set -euo pipefail
cli=$1 shared=$2 work=$3 kind=$4
fail() { echo "kill_resume_test ($kind): $*" >&2; exit 1; }
clip="$shared/videos/openface-samples/changeLighting.wmv"
[ -f "$clip" ] || { echo "kill_resume_test: $clip absent: skipped" >&2; exit 77; }
rm -rf "$work"
mkdir -p "$work/in"
ffmpeg -loglevel error -i "$clip" -an -frames:v 45 -c:v libx264 -crf 12 "$work/in/a.mp4"
for stem in b c; do cp "$work/in/a.mp4" "$work/in/$stem.mp4"; done
args=("$kind" "$work"/in/{a,b,c}.mp4 --models "$shared/models/openface" -w 2
      --segment-frames 15 -q)
[ "$kind" = mirror ] && args+=(--no-report)
first_output=$([ "$kind" = mirror ] && echo '*_right_mirrored.mp4' || echo '*.csv')

"$cli" "${args[@]}" -o "$work/reference" >"$work/reference.log" 2>&1 ||
  { cat "$work/reference.log" >&2; fail "the uninterrupted run failed"; }
reference=$(cd "$work/reference" && find . -type f | sort)
[ -n "$reference" ] || fail "the uninterrupted run wrote nothing"

# The files of DIR under their final names: each must be the reference's, byte for byte (a
# record in .facemirror/ but for the command line it names, which says --isolation, and the
# time its video finished).
check_complete() {
  local dir=$1 file
  while read -r file; do
    [ -n "$file" ] || continue
    [ -f "$work/reference/$file" ] || fail "$dir/$file: not an output of the uninterrupted run"
    if [[ $file == ./.facemirror/* ]]; then
      cmp -s <(grep -Ev '"(command|finished)":' "$dir/$file") \
        <(grep -Ev '"(command|finished)":' "$work/reference/$file") ||
        fail "$dir/$file differs (partly written?)"
    else
      cmp -s "$dir/$file" "$work/reference/$file" || fail "$dir/$file differs (partly written?)"
    fi
  done < <(cd "$dir" && find . -type f ! -name '*.partial-*' | sort)
}

for isolation in thread process; do
  out="$work/$isolation"
  mkdir -p "$out"
  setsid "$cli" "${args[@]}" --isolation "$isolation" -o "$out" >"$out.killed.log" 2>&1 &
  leader=$!
  for _ in $(seq 1 6000); do  # up to 5 minutes on a loaded machine
    [ -n "$(find "$out" -name "$first_output" ! -name '*.partial-*' -print -quit)" ] && break
    kill -0 "$leader" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL -- "-$leader" 2>/dev/null || true
  wait "$leader" 2>/dev/null || true
  # SIGKILL is not instant: a worker tearing down its memory (slow under a sanitizer) still
  # runs. Wait until the group holds only zombies (killed, reaped late or never by whoever
  # adopted them: the rerun must treat those as gone), as a user rerunning later would.
  for _ in $(seq 1 600); do
    [ -z "$(ps -eo pgid=,stat= | awk -v g="$leader" '$1 == g && $2 !~ /^Z/')" ] && break
    sleep 0.05
  done
  done_now=$(cd "$out" && find . -type f ! -name '*.partial-*' | sort)
  [ "$done_now" != "$reference" ] || fail "$isolation: the batch ended before the kill"
  check_complete "$out"
  echo "after kill -9 ($isolation): $(echo "$done_now" | grep -c . || true) complete files," \
       "$(find "$out" -name '*.partial-*' | wc -l) orphaned .partial files"

  "$cli" "${args[@]}" --isolation "$isolation" -o "$out" >"$out.rerun.log" 2>&1 ||
    { cat "$out.rerun.log" >&2; fail "$isolation: the rerun failed"; }
  check_complete "$out"
  [ "$(cd "$out" && find . -type f | sort)" = "$reference" ] ||
    fail "$isolation: after the rerun the folder holds other files than the reference's:
$(cd "$out" && find . -type f | sort)"
done
echo "kill_resume_test ($kind): complete after kill -9 and rerun, in both isolation modes"
