#!/usr/bin/env bash
# disk_faults_test.sh CLI SHARED_DIR SCRATCH
#
# Output that cannot be written, in a batch of three copies of a short video (one worker, so
# they are written in order):
#  - a full disk (a tmpfs with room for one and a half CSVs): the first video complete, the
#    others fail with "No space left on device" naming their file, nothing half-written;
#  - an output folder that becomes unwritable once the first CSV is there (chmod a-w; as root,
#    which permissions do not stop, the CLI runs as `nobody`): the first video complete, the
#    others fail naming their file; made writable again, the same command completes the batch
#    and leaves no temporary file behind.
# Every file under its final name must be the uninterrupted run's, byte for byte. The tmpfs is
# mounted in a private mount namespace (unshare), so nothing stays mounted; where mounting is
# not permitted the test exits 77 (skipped).
set -euo pipefail
cli=$1 shared=$2 work=$3
fail() { echo "disk_faults_test: $*" >&2; exit 1; }
clip="$shared/videos/openface-samples/changeLighting.wmv"
[ -f "$clip" ] || { echo "disk_faults_test: $clip absent: skipped" >&2; exit 77; }
if [ -z "${DISK_FAULTS_NAMESPACE:-}" ]; then
  if ! unshare --mount --propagation private true 2>/dev/null; then
    echo "disk_faults_test: cannot make a mount namespace (unshare -m): skipped" >&2
    exit 77
  fi
  DISK_FAULTS_NAMESPACE=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

rm -rf "$work"
mkdir -p "$work/in"
chmod 755 "$work"
for stem in a b c; do cp "$clip" "$work/in/$stem.wmv"; done
args=(aus "$work"/in/{a,b,c}.wmv --models "$shared/models/openface" -w 1 -q)
"$cli" "${args[@]}" -o "$work/reference" >"$work/reference.log" 2>&1 ||
  { cat "$work/reference.log" >&2; fail "the uninterrupted run failed"; }

# expect_first_only DIR LOG WHY: a.csv complete, b.csv and c.csv absent, each named in LOG with
# WHY, and no file but a.csv, its record (.facemirror/a.aus.json, if that could be written) and
# (when ORPHANS_ALLOWED) .partial-* files.
expect_first_only() {
  local dir=$1 log=$2 why=$3 file
  cmp -s "$dir/a.csv" "$work/reference/a.csv" || fail "$dir/a.csv is not the uninterrupted run's"
  for file in b.csv c.csv; do
    [ ! -e "$dir/$file" ] || fail "$dir/$file exists, though it could not be written"
    grep -F "$dir/$file" "$log" | grep -qF "$why" ||
      { cat "$log" >&2; fail "no error naming $dir/$file with '$why'"; }
  done
  local others
  others=$(cd "$dir" && find . -type f ! -name a.csv ! -path ./.facemirror/a.aus.json \
    ${ORPHANS_ALLOWED:+! -name '*.partial-*'})
  [ -z "$others" ] || fail "$dir holds other files: $others"
}

# 1. A full disk.
csv_bytes=$(stat -c %s "$work/reference/a.csv")
mkdir "$work/full"
mount -t tmpfs -o size=$((csv_bytes * 3 / 2)) tmpfs "$work/full"
status=0
"$cli" "${args[@]}" -o "$work/full" >"$work/full.log" 2>&1 || status=$?
[ "$status" != 0 ] || fail "a batch on a full disk exited 0"
expect_first_only "$work/full" "$work/full.log" "No space left on device"
umount "$work/full"
echo "full disk: a.csv complete; b.csv, c.csv failed by name, nothing half-written"

# 2. An output folder made unwritable mid-run.
as_user=()
if [ "$(id -u)" = 0 ]; then
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  "${as_user[@]}" test -r "$clip" -a -x "$cli" ||
    { echo "disk_faults_test: nobody cannot run $cli: skipped" >&2; exit 77; }
  chown nobody "$work"
fi
out="$work/unwritable"
mkdir "$out"
chown --reference="$work" "$out"
"${as_user[@]}" "$cli" "${args[@]}" -o "$out" >"$out.log" 2>&1 &
pid=$!
for _ in $(seq 1 6000); do
  [ -e "$out/a.csv" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
chmod a-w "$out"
status=0
wait "$pid" || status=$?
[ "$status" != 0 ] || fail "a batch into an unwritable folder exited 0"
ORPHANS_ALLOWED=1 expect_first_only "$out" "$out.log" "Permission denied"
echo "unwritable folder: a.csv complete; b.csv, c.csv failed by name;" \
     "$(find "$out" -name '*.partial-*' | wc -l) temporary files it could not remove"
chmod u+w "$out"
"${as_user[@]}" "$cli" "${args[@]}" -o "$out" >"$out.rerun.log" 2>&1 ||
  { cat "$out.rerun.log" >&2; fail "the rerun into the writable folder failed"; }
for file in a.csv b.csv c.csv; do
  cmp -s "$out/$file" "$work/reference/$file" || fail "$out/$file differs after the rerun"
done
records="./.facemirror/a.aus.json ./.facemirror/b.aus.json ./.facemirror/c.aus.json"
[ "$(cd "$out" && find . -type f | LC_ALL=C sort | tr '\n' ' ')" = "$records ./a.csv ./b.csv ./c.csv " ] ||
  fail "after the rerun $out holds: $(cd "$out" && find . -type f)"
echo "disk_faults_test: complete after the folder was writable again, nothing left behind"
