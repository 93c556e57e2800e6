#!/usr/bin/env bash
# make_fuzz_corpus.sh OUT SHARED: seed corpora for the libFuzzer targets in fuzz/, one folder
# per target under OUT, made from the shared data folder (nothing here is committed media):
# whole small model files, the first 64 KiB of large ones (a parser reads the header and the
# first records before it finds the cut), and tiny videos and images re-encoded from the shared
# samples. Without SHARED only the text seeds are written. Idempotent: OUT is rebuilt.
set -euo pipefail

out=${1:?usage: make_fuzz_corpus.sh OUT SHARED}
shared=${2:-}
rm -rf "$out"
for t in au_model au_list pdm triangulation ccnf_patches clnf_main detection_validator \
         mtcnn_net mirror_tag manifest image video hog_file report task_plan; do
  mkdir -p "$out/fuzz_$t"
done

# Seeds that are text we write (no data needed).
printf 'facemirror mirrored face' >"$out/fuzz_mirror_tag/tag"
printf 'facemirror mirrored face; segment_frames=240' >"$out/fuzz_mirror_tag/earlier_tag"
printf 'encoder: Lavf59' >"$out/fuzz_mirror_tag/other"
printf '# a batch\nvideos/a.mp4\n  /data/b.avi  \n\nfolder/\n' >"$out/fuzz_manifest/manifest"
printf '3/8' >"$out/fuzz_manifest/shard"
printf 'auto/8' >"$out/fuzz_manifest/shard_auto"
# A mirror job's pair in a few columns of OpenFace's layout (the report needs timestamp, success,
# confidence, pose_Ry and AU columns).
header='frame, face_id, timestamp, confidence, success, pose_Ry, AU01_r, AU12_r, AU01_c, AU12_c'
printf '%s\n1, 0, 0.000, 0.98, 1, 0.10, 1.20, 0.50, 1, 0\n2, 0, 0.033, 0.88, 1, 0.20, 0.80, 2.50, 0, 1\n3, 0, 0.067, 0.00, 0, 0.00, 0.00, 0.00, 0, 0\n===\n%s\n1, 0, 0.000, 0.98, 1, 0.10, 0.60, 0.40, 0, 0\n2, 0, 0.033, 0.98, 1, 0.30, 0.90, 1.10, 1, 1\n3, 0, 0.067, 0.98, 1, 0.50, 0.70, 0.90, 0, 1\n' \
  "$header" "$header" >"$out/fuzz_report/pair"
# Task plans: standard movements with a rest row, and custom ones with their AUs, CRLF.
printf 'task,start_s,end_s\nrest,0,1\nbrow_raise,1,2\nsmile,2,3.5\n' >"$out/fuzz_task_plan/standard"
printf 'Task, Start_s, End_s, AUs\r\nCheek puff,0.5,2,AU14 23 au06_r\r\nEEE,1,4,\r\n' \
  >"$out/fuzz_task_plan/custom"
# A main file that names itself as its level file and part model: the scratch folder holds only
# the input, so this is how one input reaches every CLNF text parser.
printf 'LandmarkDetector main.txt\nLandmarkDetector_part main.txt inner 17 0 18 1\nPDM main.txt\nPatchesCCNF main.txt\n' \
  >"$out/fuzz_clnf_main/self"

models=$shared/models/openface
if [ -z "$shared" ] || [ ! -d "$models" ]; then
  echo "make_fuzz_corpus: no shared data folder: text seeds only" >&2
  exit 0
fi

whole() {  # whole TARGET FILE...
  local t=$1
  shift
  for f in "$@"; do cp "$f" "$out/fuzz_$t/$(basename "$f")"; done
}
head_of() {  # head_of TARGET FILE...: the first 64 KiB
  local t=$1
  shift
  for f in "$@"; do head -c 65536 "$f" >"$out/fuzz_$t/$(basename "$f").head"; done
}

au=$models/AU_predictors
whole au_model "$au/svr_combined/AU_1_static_intensity.dat" \
  "$au/svr_combined/AU_1_dynamic_intensity_comb.dat" "$au/svm_combined/AU_12_static.dat" \
  "$au/svm_combined/AU_12_dynamic.dat"
whole au_list "$au/AU_all_static.txt" "$au/main_static_svms.txt" "$au/main_dynamic_svms.txt"
m=$models/model
whole pdm "$m/pdms/In-the-wild_aligned_PDM_68.txt" "$m/model_eye/pdms/pdm_28_eye_3D_closed.txt"
whole triangulation "$m/tris_68.txt"
whole ccnf_patches "$m/model_eye/patch_experts/ccnf_patches_1.00_synth_lid_.txt"
head_of ccnf_patches "$m/patch_experts/ccnf_patches_0.25_general.txt"
whole clnf_main "$m/main_clnf_general.txt" "$m/clnf_general.txt" \
  "$m/model_inner/main_clnf_inner.txt" "$m/model_inner/clnf_inner.txt"
head_of detection_validator "$m/detection_validation/validator_cnn.txt"
whole mtcnn_net "$m/mtcnn_detector/PNet.dat"
head_of mtcnn_net "$m/mtcnn_detector/RNet.dat"
# OpenFace's own HOG file, its first two records (valid frames of 12 x 12 x 31).
head -c 35744 "$shared/reference/openface22/hog_simalign/changeLighting.hog" \
  >"$out/fuzz_hog_file/changeLighting_two_frames.hog"
# OpenFace's own CSVs of a mirrored pair (all 714 columns), their first four frames each.
{
  head -n 5 "$shared/reference/openface22/mirrored/default_left_mirrored.csv"
  echo ===
  head -n 5 "$shared/reference/openface22/mirrored/default_right_mirrored.csv"
} >"$out/fuzz_report/openface_pair"

# Tiny images and videos (48x36, a few frames) in the formats the samples come in and the ones
# cameras and facemirror write: containers with B-frames, rotation metadata, the mirrored tag.
samples=$shared/videos/openface-samples
ff() { ffmpeg -nostdin -loglevel error -y "$@"; }
for ext in png jpg bmp tiff; do
  ff -i "$samples/sample1.jpg" -vf scale=48:36 -frames:v 1 "$out/fuzz_image/sample1.$ext"
done
ff -i "$samples/sample3_16bit_gray.png" -vf scale=48:36 -frames:v 1 -pix_fmt gray16be \
  "$out/fuzz_image/gray16.png"
v=$out/fuzz_video
src=(-i "$samples/default.wmv" -vf scale=48:36 -frames:v 6 -an)
ff "${src[@]}" -c:v libx264 -bf 2 -g 3 "$v/bframes.mp4"
# ffmpeg 5 turns the rotate tag into a display matrix only when it copies the stream.
ff -i "$v/bframes.mp4" -c copy -metadata:s:v:0 rotate=90 "$v/rotated.mp4"
ff "${src[@]}" -c:v libx264 -g 3 -metadata comment="facemirror mirrored face" \
  "$v/mirrored.mp4"
ff "${src[@]}" -c:v mpeg4 -g 3 "$v/mpeg4.avi"
ff "${src[@]}" -c:v wmv2 -g 3 "$v/wmv2.wmv"
ff "${src[@]}" -c:v libx264 -g 3 "$v/h264.mkv"
ff "${src[@]}" -c:v mjpeg "$v/mjpeg.avi"
