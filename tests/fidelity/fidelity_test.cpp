// The AUs, landmarks and success flags `facemirror aus` writes, against OpenFace 2.2's own
// output (shared/reference/openface22), to the project's fidelity bar: per video, mean per-AU
// Pearson r, the lowest AU's r, AU_r mean absolute difference, mean 2-D landmark distance and
// success agreement, computed as shared/tools/au_compare.py computes them
// (tests/support/au_fidelity.h). One test per video, each printing its numbers.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/cli_support.h"
#include "support/au_fidelity.h"

namespace facemirror::test {
namespace {

namespace fs = std::filesystem;

// The bar: mean per-AU r, lowest per-AU r, AU_r MAE, landmarks px, success agreement. A video
// on which OpenFace 2.2 agrees with itself less well (the reference README's "OpenFace against
// itself" tables: the same binary with other OpenBLAS kernels) is held to that agreement
// instead: mean and lowest r no higher, landmark distance no lower than OpenFace's own.
const fidelity_bar target{0.98, 0.93, 0.03, 0.05, 0.99};

struct fidelity_case {
  const char* name;
  const char* video;      // under shared/videos
  const char* reference;  // under shared/reference/openface22
  const char* flags;      // more CLI options
  // OpenFace against itself on this video: mean r, min r, landmarks px.
  double openface_mean_r, openface_min_r, openface_px;

  [[nodiscard]] fidelity_bar bar() const {
    return target.floor(openface_mean_r, openface_min_r, openface_px);
  }
};

// Short videos (the longest is 842 frames), so that the whole test takes about a minute on two
// cores.
const fidelity_case cases[] = {
    // 640x480, a face of about 200 px, lighting that changes.
    {"large_face_changeLighting", "openface-samples/changeLighting.wmv", "changeLighting.csv", "",
     0.9968, 0.989, 0.03},
    // default.wmv downscaled to 240x180: a face of about 64 px.
    {"small_face_default_240x180", "small_faces/default_240x180.mp4", "default_240x180.csv", "",
     0.9986, 0.996, 0.00},
    // A mirrored face written by `facemirror mirror` (1080x720), re-analysed by `aus` as its
    // comment tag says; OpenFace agrees with itself on it only to 0.9709 (min 0.928, 0.15 px).
    {"mirrored_subj01_right", "mirrored/subj01_timepoint01_right_mirrored.mp4",
     "mirrored/subj01_timepoint01_right_mirrored.csv", "", 0.9709, 0.928, 0.15},
    // Short segments: each starts its tracker anew after a warm-up, as every worker does.
    {"segments_of_30_changeLighting", "openface-samples/changeLighting.wmv", "changeLighting.csv",
     "--segment-frames 30", 0.9968, 0.989, 0.03},
    {"segments_of_30_2015_10_15_15_14", "openface-samples/2015-10-15-15-14.avi",
     "2015-10-15-15-14.csv", "--segment-frames 30", 0.9968, 0.989, 0.02},
    // Three tracks, each started a float ulp apart on every frame, and their median: a single
    // track leaves subj02 below OpenFace's agreement with itself (mean r 0.9723, AU02 0.911).
    {"consensus_of_3_subj02", "open_dbm/subj02_timepoint01.mp4", "subj02_timepoint01.csv",
     "--consensus 3", 0.9752, 0.940, 0.04},
    // Two tracks and their mean (the median of an even count): 0.9804, AU02 0.937.
    {"consensus_of_2_subj02", "open_dbm/subj02_timepoint01.mp4", "subj02_timepoint01.csv",
     "--consensus 2", 0.9752, 0.940, 0.04},
    // Frame folders (OpenFace's -fdir): 30 images tracked as one video, in 8-bit colour, 16-bit
    // colour and 8-bit grey (OpenFace's agreement with itself on them was not measured).
    {"frame_folder_jpeg", "openface-samples/image_sequence", "image_sequences/image_sequence.csv",
     "--frames --segment-frames 10", 1, 1, 0},
    {"frame_folder_16bit", "openface-samples/image_sequence_16bit",
     "image_sequences/image_sequence_16bit.csv", "--frames", 1, 1, 0},
    {"frame_folder_grey", "openface-samples/image_sequence_gray",
     "image_sequences/image_sequence_gray.csv", "--frames", 1, 1, 0},
};

// The case's name in gtest's messages (instead of its bytes).
void PrintTo(const fidelity_case& c, std::ostream* os) {
  *os << c.name;
}

class fidelity_test : public ::testing::TestWithParam<fidelity_case> {};

TEST_P(fidelity_test, meets_the_bar_against_openface) {
  FACEMIRROR_REQUIRE_SHARED();
  const fidelity_case& c = GetParam();
  const fs::path video = *shared_dir() / "videos" / c.video;
  const fs::path reference = *shared_dir() / "reference/openface22" / c.reference;
  ASSERT_TRUE(fs::exists(video)) << video;
  ASSERT_TRUE(fs::exists(reference)) << reference;
  const fs::path out = scratch_dir();

  const auto start = std::chrono::steady_clock::now();
  const cli_run run = run_cli("aus '" + video.string() + "' -o '" + out.string() + "' " +
                              models_arg() + " -q --progress none " + c.flags);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(run.status, 0) << run.output;
  const fs::path csv = out / (video.stem().string() + ".csv");
  ASSERT_TRUE(fs::exists(csv)) << run.output;

  const fidelity_report rep = compare_openface_csv(read_csv_table(reference), read_csv_table(csv));
  const fidelity_bar bar = c.bar();
  std::printf("%s\n", fidelity_line(c.name, rep).c_str());
  std::printf(
      "%-40s bar: mean r >= %.4f, min r >= %.3f, MAE <= %.3f, landmarks <= %.2f px, "
      "success agreement >= %.0f%%; CLI %.1f s\n",
      "", bar.mean_r, bar.min_r, bar.max_mae, bar.max_landmark_px, 100 * bar.min_success_agreement,
      seconds);
  EXPECT_EQ(rep.candidate_rows, rep.reference_rows);
  EXPECT_EQ(rep.aus.size(), 17u);
  for (const std::string& why : fidelity_misses(rep, bar))
    ADD_FAILURE() << c.name << ": " << why;
}

INSTANTIATE_TEST_SUITE_P(openface22, fidelity_test, ::testing::ValuesIn(cases),
                         [](const ::testing::TestParamInfo<fidelity_case>& param) {
                           return std::string(param.param.name);
                         });

}  // namespace
}  // namespace facemirror::test
