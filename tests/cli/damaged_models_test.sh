#!/usr/bin/env bash
# damaged_models_test.sh CLI SHARED_DIR SCRATCH
#
# A model file damaged after provisioning fails the run when the models load, by name, before
# any output is written: one patch-expert file truncated to half its size, then (that one
# restored) one byte of an AU regressor flipped (a change a parser would take for valid
# numbers).
set -euo pipefail
cli=$1 shared=$2 work=$3
fail() { echo "damaged_models_test: $*" >&2; exit 1; }
clip="$shared/videos/openface-samples/changeLighting.wmv"
[ -f "$clip" ] || { echo "damaged_models_test: $clip absent: skipped" >&2; exit 77; }
rm -rf "$work"
mkdir -p "$work"
cp -r "$shared/models/openface" "$work/models"
chmod -R u+w "$work/models"

# expect_refused FILE: the run fails naming FILE as damaged and writes nothing.
expect_refused() {
  local file=$1 status=0 out="$work/out-$(basename "$1")"
  "$cli" aus "$clip" -o "$out" --models "$work/models" -w 1 -q >"$out.log" 2>&1 || status=$?
  [ "$status" != 0 ] || fail "the run with a damaged $file exited 0"
  grep -qF "damaged model file '$work/models/$file'" "$out.log" ||
    { cat "$out.log" >&2; fail "no error naming $file"; }
  [ -z "$(find "$out" -type f 2>/dev/null)" ] || fail "$out has files: $(find "$out" -type f)"
  echo "damaged_models_test: $(head -1 "$out.log")"
}

truncated=model/patch_experts/ccnf_patches_0.25_general.txt
cp "$work/models/$truncated" "$work/intact"
truncate -s $(($(stat -c %s "$work/intact") / 2)) "$work/models/$truncated"
expect_refused "$truncated"
cp "$work/intact" "$work/models/$truncated"

flipped=AU_predictors/svr_combined/AU_12_static_intensity_comb.dat
offset=$(($(stat -c %s "$work/models/$flipped") / 2))
byte=$(od -An -tu1 -j "$offset" -N1 "$work/models/$flipped" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" |
  dd of="$work/models/$flipped" bs=1 seek="$offset" conv=notrunc status=none
cmp -s "$work/models/$flipped" "$shared/models/openface/$flipped" && fail "the byte did not flip"
expect_refused "$flipped"
