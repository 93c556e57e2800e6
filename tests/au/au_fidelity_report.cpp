// au_fidelity_report SHARED_DIR OUT_DIR [--static] [--ref-params] [--jitter SEED] [-v] [VIDEO...]
// Landmark-fed AU fidelity table against OpenFace 2.2's reference CSVs; writes each video's
// AU CSV to OUT_DIR (compare further with shared/tools/au_compare.py).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>

#include "landmark_harness.h"

namespace fs = std::filesystem;
using namespace facemirror;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: au_fidelity_report SHARED OUT [--static] [--ref-params] [-v] [videos]\n";
    return 2;
  }
  const fs::path shared = argv[1], out = argv[2];
  bool static_models = false, ref_params = false, verbose = false;
  unsigned jitter_seed = 0;  // > 0: re-quantisation noise on the landmarks (noise-floor check)
  std::vector<std::string> videos;
  for (int i = 3; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--static"))
      static_models = true;
    else if (!std::strcmp(argv[i], "--ref-params"))
      ref_params = true;
    else if (!std::strcmp(argv[i], "-v"))
      verbose = true;
    else if (!std::strcmp(argv[i], "--jitter") && i + 1 < argc)
      jitter_seed = std::stoul(argv[++i]);
    else
      videos.push_back(argv[i]);
  }
  if (videos.empty())
    videos = {"default.wmv",    "changeLighting.wmv",     "2015-10-15-15-14.avi",
              "multi_face.avi", "subj01_timepoint01.mp4", "subj02_timepoint01.mp4"};
  fs::create_directories(out);
  const auto models = au_model_set::load(
      shared / "models/openface/AU_predictors",
      static_models ? au_model_set::kind::static_only : au_model_set::kind::dynamic);
  std::printf("%-24s %8s %8s %-6s %8s %8s %10s %10s\n", "video", "mean_r", "min_r", "(au)", "mae",
              "c_agree", "extract_ms", "predict_ms");
  int failures = 0;
  for (const auto& name : videos) {
    const std::string stem = fs::path(name).stem().string();
    fs::path video = shared / "videos/openface-samples" / name;
    if (!fs::exists(video))
      video = shared / "videos/open_dbm" / name;
    const auto ref_dir = shared / "reference/openface22";
    const auto landmarks_csv = test::read_csv(ref_dir / (stem + ".csv"));
    const auto values_csv =
        static_models ? test::read_csv(ref_dir / "au_static" / (stem + ".csv")) : landmarks_csv;
    auto track = test::landmarks_from_reference(landmarks_csv);
    if (jitter_seed > 0) {
      // The CSV rounds landmarks to 0.1 px; this adds the same amount of error again.
      std::mt19937 rng(jitter_seed);
      std::uniform_real_distribution<double> u(-0.05, 0.05);
      for (auto& lm : track.landmarks)
        for (auto& p : lm)
          p += cv::Point2d(u(rng), u(rng));
    }
    const auto result = test::run_landmark_fed(models, video, track, ref_params);
    test::write_au_csv(out / (stem + ".csv"), *models, result);
    const auto f = test::compare_with_reference(values_csv, *models, result);
    std::printf("%-24s %8.4f %8.4f %-6s %8.4f %8.4f %10.3f %10.3f\n", stem.c_str(), f.mean_r,
                f.min_r, f.worst_au.c_str(), f.mae, f.presence_agreement, result.extract_ms,
                result.predict_ms);
    if (verbose)
      std::printf("%s", f.detail.c_str());
    if (!(f.mean_r >= 0.995 && f.mae <= 0.02 && f.presence_agreement >= 0.98))
      ++failures;
  }
  return failures == 0 ? 0 : 1;
}
