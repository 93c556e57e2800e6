#!/usr/bin/env bash
# fetch_models.sh must provision a verified copy, accept it on a second run, and refuse a
# source whose file does not match the pinned checksum, naming that file. Exit 77 = skipped.
set -u
repo=$1
scratch=$2
shared=${FACEMIRROR_SHARED_DIR:-}
if [ -z "$shared" ] || [ ! -d "$shared/models/openface" ]; then
  echo "shared data folder not found: skipped"
  exit 77
fi
rm -rf "$scratch"
mkdir -p "$scratch"
fail() { echo "FAIL: $*"; exit 1; }

bash "$repo/scripts/fetch_models.sh" --from "$shared/models/openface" "$scratch/good" ||
  fail "provisioning from the shared folder failed"
[ -f "$scratch/good/AU_predictors/AU_all_best.txt" ] || fail "files were not copied"
out=$(bash "$repo/scripts/fetch_models.sh" --from /nonexistent "$scratch/good" 2>&1) ||
  fail "a verified folder was not accepted as is"
echo "$out" | grep -q "already holds verified" || fail "second run did not recognise the folder"

cp -r "$shared/models/openface" "$scratch/corrupt-source"
chmod -R u+w "$scratch/corrupt-source"
printf 'garbage' >>"$scratch/corrupt-source/AU_predictors/svr_combined/AU_12_static_intensity_comb.dat"
if out=$(bash "$repo/scripts/fetch_models.sh" --from "$scratch/corrupt-source" "$scratch/bad" 2>&1); then
  fail "a corrupted model file passed verification"
fi
echo "$out" | grep -q "AU_12_static_intensity_comb.dat" || fail "the error does not name the file: $out"
echo "ok"
