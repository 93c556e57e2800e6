// CLNF landmark fitting: patch expert loading, response maps, the RLMS optimiser on a
// synthetic response field, and a regression against OpenFace 2.2 on default.wmv along the
// production path (MTCNN box start, then frame-to-frame tracking).
#include "facemirror/landmarks/clnf.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "facemirror/detect/mtcnn_detector.h"
#include "facemirror/error.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/landmarks/detection_validator.h"
#include "facemirror/landmarks/shape_alignment.h"

#include "landmarks/clnf_internal.h"
#include "support/clnf_one_step.h"
#include "support/reference_csv.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

std::filesystem::path model_dir() {
  return *test::shared_dir() / "models/openface/model";
}

TEST(clnf_patch_experts, load_general_scale) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto s =
      detail::load_ccnf_scale(model_dir() / "patch_experts/ccnf_patches_0.25_general.txt", {11});
  EXPECT_DOUBLE_EQ(s.scale, 0.25);
  ASSERT_EQ(s.view_centres.size(), 7u);
  EXPECT_NEAR(s.view_centres[3][1], -70 * CV_PI / 180, 1e-9);
  ASSERT_EQ(s.patches.size(), 7u);
  int visible_frontal = 0, visible_profile = 0;
  for (int i = 0; i < 68; ++i)
    visible_frontal += s.visibility[0][i], visible_profile += s.visibility[3][i];
  EXPECT_EQ(visible_frontal, 68);
  EXPECT_EQ(visible_profile, 35);
  const detail::ccnf_patch& p = s.patches[0][30];
  EXPECT_EQ(p.width, 11);
  EXPECT_EQ(p.neurons.size(), 7u);
  EXPECT_EQ(p.betas.size(), 3u);
  ASSERT_EQ(p.sigma.count(11), 1u);
  cv::Mat_<float> scratch;
  const cv::Mat_<float>& sigma = p.sigma_for(11, s.sigma_components, scratch);
  EXPECT_EQ(sigma.rows, 121);
  EXPECT_TRUE(scratch.empty());  // the cached matrix, not a fresh one
  EXPECT_EQ(&p.sigma_for(11, s.sigma_components, scratch), &sigma);
  double sq = 0;  // weights are stored normalised for the cross-correlation
  for (float w : p.neurons[0].weights)
    sq += w * w;
  EXPECT_NEAR(sq, 1.0, 1e-4);
}

TEST(clnf_patch_experts, truncated_file_names_the_file) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = test::scratch_dir();
  const auto bad = dir / "ccnf_truncated.txt";
  {
    std::ifstream in(model_dir() / "patch_experts/ccnf_patches_0.5_general.txt", std::ios::binary);
    std::vector<char> bytes(1'000'000);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::ofstream(bad, std::ios::binary).write(bytes.data(), in.gcount());
  }
  try {
    (void)detail::load_ccnf_scale(bad, {7});
    FAIL() << "no error for a truncated file";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::model_format);
    EXPECT_NE(std::string(e.what()).find("ccnf_truncated.txt"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)clnf_model::load(dir / "missing_main.txt"), error);
}

// The RLMS optimiser, fed Gaussian response peaks at a known shape, recovers that shape.
TEST(clnf_rlms, recovers_synthetic_shape) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto pdm =
      point_distribution_model::load(model_dir() / "pdms/In-the-wild_aligned_PDM_68.txt");
  pdm_params truth;
  truth.scale = 1.1, truth.rx = 0.1, truth.ry = -0.15, truth.rz = 0.05;
  truth.tx = 320, truth.ty = 240;
  std::mt19937 rng(7);
  std::normal_distribution<double> unit(0, 0.7);
  for (int k = 0; k < pdm.mode_count(); ++k)
    truth.local.push_back(unit(rng) * std::sqrt(pdm.eigenvalues()(0, k)));
  pdm_params start = truth;
  start.scale *= 1.04, start.rx -= 0.05, start.ry += 0.05, start.rz -= 0.04;
  start.tx += 2.0, start.ty -= 1.5;
  start.local.assign(pdm.mode_count(), 0.0);

  const std::vector<cv::Point2d> target = pdm.project_points(truth);
  detail::rlms_inputs in;
  in.pdm = &pdm;
  in.window = 25;  // wide enough that every target lies well inside its window
  in.base = pdm.project_points(start);
  in.to_ref = cv::Matx22d::eye();  // reference frame == image frame
  in.to_img = cv::Matx22d::eye();
  in.sigma = 1.5;
  in.reg = 1e-3;
  std::vector<std::vector<float>> responses(68);
  const double c = (in.window - 1) / 2.0;
  for (int i = 0; i < 68; ++i) {
    const cv::Point2d peak = target[i] - in.base[i] + cv::Point2d(c, c);
    for (int y = 0; y < in.window; ++y)
      for (int x = 0; x < in.window; ++x)
        responses[i].push_back(static_cast<float>(
            std::exp(-((x - peak.x) * (x - peak.x) + (y - peak.y) * (y - peak.y)) / 2.0)));
  }
  in.responses = &responses;
  clnf_fit_options opt;
  opt.iterations = 50;
  opt.convergence_px = 1e-4;
  pdm_params p = start;
  detail::rlms(in, true, p, opt);
  EXPECT_TRUE(detail::rlms(in, false, p, opt));
  const std::vector<cv::Point2d> fitted = pdm.project_points(p);
  double err = 0, before = 0;
  for (int i = 0; i < 68; ++i)
    err += cv::norm(fitted[i] - target[i]), before += cv::norm(in.base[i] - target[i]);
  EXPECT_GT(before / 68, 2.0);
  EXPECT_LT(err / 68, 0.05);
}

// A patch expert evaluated around OpenFace's own landmark on a real frame peaks at the centre.
TEST(clnf_patch_experts, response_peaks_at_reference_landmark) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = *test::shared_dir();
  const test::reference_csv ref(dir / "reference/openface22/default.csv");
  video_reader reader(probe_video(dir / "videos/openface-samples/default.wmv"));
  cv::Mat grey;
  cv::cvtColor(reader.read()->bgr, grey, cv::COLOR_BGR2GRAY);
  cv::Mat_<float> image;
  grey.convertTo(image, CV_32F);

  const auto model = clnf_model::load(model_dir() / "main_clnf_general.txt");
  const auto& main = model->internals().main;
  const landmarks_2d lm = ref.landmarks(0);
  const std::vector<cv::Point2d> shape(lm.begin(), lm.end());
  pdm_params ref_shape = model->pdm().fit(lm);
  ref_shape.scale = 0.5, ref_shape.rx = ref_shape.ry = ref_shape.rz = 0;
  ref_shape.tx = ref_shape.ty = 0;
  const cv::Matx22d to_ref = align_shapes_with_scale(shape, main.pdm.project_points(ref_shape));
  std::vector<std::vector<float>> responses;
  const int w = 7;
  detail::patch_responses(image, shape, to_ref, main.scales[2], 0, w, responses);
  int near_centre = 0;
  for (int i = 0; i < 68; ++i) {
    ASSERT_EQ(responses[i].size(), static_cast<size_t>(w * w));
    const auto best = std::max_element(responses[i].begin(), responses[i].end());
    const int at = static_cast<int>(best - responses[i].begin());
    const int dx = at % w - w / 2, dy = at / w - w / 2;
    near_centre += std::abs(dx) <= 1 && std::abs(dy) <= 1;
    if (i >= 36 && i < 48) {  // eye corners and lids are well localised...
      EXPECT_TRUE(std::abs(dx) <= 1 && std::abs(dy) <= 1) << "landmark " << i;
    }
  }
  // ...contour points (jaw, brows, lips) slide along their edge: measured 51 of 68.
  EXPECT_GE(near_centre, 45) << "of 68 responses peak within 1 px of the landmark";
}

// Regression on the first 50 frames of default.wmv along the production path
// (src/analysis/landmark_session.cpp): CLNF started as OpenFace starts it, in the corrected box of
// MTCNN's detection on the first frame under OpenFace's eleven start rotations, then each frame
// fitted from the previous one, every fit judged by the detection validator.
TEST(clnf_tracker, matches_openface_on_default_wmv) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = *test::shared_dir();
  const test::reference_csv ref(dir / "reference/openface22/default.csv");
  video_reader reader(probe_video(dir / "videos/openface-samples/default.wmv"));
  const auto model = clnf_model::load(model_dir() / "main_clnf_general.txt");
  const auto mtcnn = mtcnn_detector::load((model_dir() / "mtcnn_detector").string());
  const auto validator =
      detection_validator::load(model_dir() / "detection_validation/validator_cnn.txt");
  clnf_tracker tracker(model);

  double start_err = 0, tracked_err = 0, worst_err = 0, eye_err = 0;
  int accepted = 0;
  const int frames = 50;
  for (int f = 0; f < frames; ++f) {
    const auto frame = reader.read();
    ASSERT_TRUE(frame);
    clnf_fit_result r;
    if (f == 0) {
      const std::vector<face_detection> faces = mtcnn.detect(frame->bgr);
      ASSERT_EQ(faces.size(), 1u);
      r = tracker.start_in_box(frame->bgr, mtcnn_box_to_clnf(faces[0].box));
      ASSERT_GT(r.params.scale, 0);
    } else {
      ASSERT_TRUE(tracker.tracking());
      r = tracker.follow(frame->bgr);
    }
    const cv::Vec3d rotation(r.params.rx, r.params.ry, r.params.rz);
    accepted += validator->validate(frame->bgr, r.landmarks, rotation).success;
    const double err = mean_landmark_distance(r.landmarks, ref.landmarks(f));
    (f == 0 ? start_err : tracked_err) += err;
    worst_err = std::max(worst_err, err);
    EXPECT_NEAR(r.params.scale, ref.at(f, "p_scale"), 0.01) << "frame " << f + 1;
    // The two 28-point eye parts against OpenFace's eye_lmk_* (left part first, as there).
    ASSERT_EQ(r.parts.size(), 3u);
    double e = 0;
    for (int k = 0; k < 56; ++k) {
      const std::vector<cv::Point2d>& eye = r.parts[1 + k / 28].landmarks;
      ASSERT_EQ(eye.size(), 28u);
      const std::string i = std::to_string(k);
      e += cv::norm(eye[k % 28] -
                    cv::Point2d(ref.at(f, "eye_lmk_x_" + i), ref.at(f, "eye_lmk_y_" + i)));
    }
    eye_err += e / 56;
  }
  tracked_err /= frames - 1;
  // Measured: start 0.037 px, tracked 0.043 px (worst frame 0.053 px), eye parts 0.041 px: the
  // reference prints landmarks to 0.1 px, which alone accounts for 0.038 px on average. (The
  // dlib estimate is 2.3 px off; CLNF refining it on every frame, not tracking, 0.45 px.)
  EXPECT_LT(start_err, 0.06);
  EXPECT_LT(tracked_err, 0.07);
  EXPECT_LT(worst_err, 0.12);
  EXPECT_LT(eye_err / frames, 0.07);
  EXPECT_EQ(accepted, frames);
  std::printf(
      "default.wmv %d frames: start %.3f px, tracked %.3f px (worst %.3f), eye parts %.3f px\n",
      frames, start_err, tracked_err, worst_err, eye_err / frames);
}

// A small face (PDM scale ~0.375, about 54 px wide) is fitted with every patch scale, the 0.5
// experts included, as OpenFace does: one tracking step from OpenFace's own parameters of the
// previous frame lands on its next frame. Skipping the 0.5 experts for faces under 0.45 (0.9x
// their training scale) left these steps 0.15 px off; with them 0.04 px (unrounded; 0.01 px
// at the CSV's 0.1 px rounding).
TEST(clnf_model, small_face_uses_every_scale_as_openface) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = *test::shared_dir();
  const std::string stem = "2015-10-15-15-14_200x150";
  const test::reference_csv ref(dir / "reference/openface22" / (stem + ".csv"));
  video_reader reader(probe_video(dir / "videos/small_faces" / (stem + ".mp4")));
  const auto model = clnf_model::load(model_dir() / "main_clnf_general.txt");
  const int modes = model->pdm().mode_count();
  double err = 0;
  int steps = 0;
  for (int k = 0; k < 8; ++k) {
    const auto frame = reader.read();
    ASSERT_TRUE(frame);
    if (k == 0)
      continue;
    ASSERT_LT(ref.at(k, "p_scale"), 0.45);  // the finest experts are trained at 0.5
    cv::Mat grey;
    cv::cvtColor(frame->bgr, grey, cv::COLOR_BGR2GRAY);
    const clnf_fit_result r =
        model->fit(grey, ref.params(k - 1, modes), clnf_fit_options::tracking());
    EXPECT_FALSE(r.face_too_small);
    err += mean_landmark_distance(r.landmarks, ref.landmarks(k));
    ++steps;
  }
  std::printf("%s: one tracking step %.3f px\n", stem.c_str(), err / steps);
  EXPECT_LT(err / steps, 0.08);
}

// Our CLNF step against OpenFace's with the track's chaos taken out: every frame fitted once
// from OpenFace's own printed state of the frame before (tests/support/clnf_one_step.h). What is
// left is the floor that printing that state to 3 decimals sets: the same step against our own
// CSV gives medians of 0.019 px (default) and 0.034 px (subj02). A step unlike OpenFace's shows
// at once where whole tracks cannot tell it from their chaos: the mean-shift kernel 0.05 px wider
// at every scale (clnf_rlms.cpp, tried) gives medians of 0.037 and 0.063 px here, while the
// tracking test above still passes; 4 RLMS iterations instead of 5 give 0.030 and 0.046 (a
// patched probe, docs/fidelity_notes.md, session 24).
struct one_step_case {
  const char* name;
  const char* video;      // under shared/videos
  const char* reference;  // under shared/reference/openface22
  double max_median_px;   // measured median + ~0.004
  double max_p95_px;
};

void PrintTo(const one_step_case& c, std::ostream* os) {
  *os << c.name;
}

class clnf_one_step : public ::testing::TestWithParam<one_step_case> {};

TEST_P(clnf_one_step, from_openface_state_lands_on_openface) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = *test::shared_dir();
  const one_step_case c = GetParam();
  const test::reference_csv ref(dir / "reference/openface22" / c.reference);
  const test::clnf_stepper steps(model_dir());
  std::vector<double> distances;
  int same_decision = 0;
  const int steps_taken = test::for_each_printed_step(
      dir / "videos" / c.video, ref, steps.modes(), [&](const test::printed_step& p) {
        const test::clnf_step s = steps.step(p.grey, p.start, p.before_accepted);
        distances.push_back(test::distance_to_printed(s.fit.landmarks, p.printed));
        same_decision += s.accepted == p.accepted;
      });
  ASSERT_EQ(steps_taken, static_cast<int>(ref.rows()) - 1);  // every frame after the first
  std::sort(distances.begin(), distances.end());
  const double median = distances[distances.size() / 2];
  const double p95 = distances[distances.size() * 95 / 100];
  std::printf("%s: %zu steps, median %.3f px, p95 %.3f px, same decision on %d\n", c.video,
              distances.size(), median, p95, same_decision);
  EXPECT_LE(median, c.max_median_px);
  EXPECT_LE(p95, c.max_p95_px);
  EXPECT_EQ(same_decision, static_cast<int>(distances.size()));
}

// Measured: default 0.019 / 0.033 px, subj02 0.033 / 0.066 px (median / p95), every decision
// OpenFace's.
INSTANTIATE_TEST_SUITE_P(shared_videos, clnf_one_step,
                         ::testing::Values(one_step_case{"default", "openface-samples/default.wmv",
                                                         "default.csv", 0.023, 0.040},
                                           one_step_case{"subj02",
                                                         "open_dbm/subj02_timepoint01.mp4",
                                                         "subj02_timepoint01.csv", 0.038, 0.075}),
                         [](const ::testing::TestParamInfo<one_step_case>& param) {
                           return std::string(param.param.name);
                         });

// start_in_box fits the part models only on the winning hypothesis: refine_parts() on a fit made
// without them must give what fit() with them gives, bit for bit (landmarks, params, parts).
TEST(clnf_model, parts_refined_afterwards_equal_parts_refined_in_the_fit) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = *test::shared_dir();
  const test::reference_csv ref(dir / "reference/openface22/default.csv");
  video_reader reader(probe_video(dir / "videos/openface-samples/default.wmv"));
  const auto frame = reader.read();
  ASSERT_TRUE(frame);
  const auto model = clnf_model::load(model_dir() / "main_clnf_general.txt");
  cv::Mat grey;
  cv::cvtColor(frame->bgr, grey, cv::COLOR_BGR2GRAY);
  // OpenFace's first fit, as a box, under one of the turned hypotheses.
  const landmarks_2d first = ref.landmarks(0);
  cv::Point2d lo = first[0], hi = first[0];
  for (const cv::Point2d& q : first) {
    lo = {std::min(lo.x, q.x), std::min(lo.y, q.y)};
    hi = {std::max(hi.x, q.x), std::max(hi.y, q.y)};
  }
  const pdm_params start =
      clnf_params_in_box(model->pdm(), cv::Rect2d(lo, hi), cv::Vec3d(0, 0.5236, 0));
  const clnf_fit_options with_parts = clnf_fit_options::detection();
  clnf_fit_options main_only = with_parts;
  main_only.refine_parts = false;
  const clnf_fit_result whole = model->fit(grey, start, with_parts);
  clnf_fit_result later = model->fit(grey, start, main_only);
  EXPECT_TRUE(later.parts.empty());
  ASSERT_EQ(whole.parts.size(), 3u);
  model->refine_parts(grey, later);
  EXPECT_EQ(later.likelihood, whole.likelihood);
  EXPECT_EQ(later.params.scale, whole.params.scale);
  EXPECT_EQ(later.params.local, whole.params.local);
  for (int i = 0; i < landmark_count; ++i)
    EXPECT_EQ(later.landmarks[i], whole.landmarks[i]) << "landmark " << i;
  ASSERT_EQ(later.parts.size(), whole.parts.size());
  for (size_t k = 0; k < whole.parts.size(); ++k) {
    EXPECT_EQ(later.parts[k].landmarks, whole.parts[k].landmarks) << "part " << k;
    EXPECT_EQ(later.parts[k].params.local, whole.parts[k].params.local) << "part " << k;
  }
  // The parts moved the fit: the test would not see a refine_parts() that did nothing.
  EXPECT_NE(model->fit(grey, start, main_only).params.local, whole.params.local);
}

// A face below PDM scale 0.25 (about 35 px across) fails the fit, as OpenFace's "face too
// small for landmark detection": the same face at 60% size is fitted to a scale under 0.25.
TEST(clnf_model, face_below_quarter_scale_is_too_small) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = *test::shared_dir();
  const std::string stem = "2015-10-15-15-14_200x150";
  const test::reference_csv ref(dir / "reference/openface22" / (stem + ".csv"));
  video_reader reader(probe_video(dir / "videos/small_faces" / (stem + ".mp4")));
  const auto frame = reader.read();
  ASSERT_TRUE(frame);
  const auto model = clnf_model::load(model_dir() / "main_clnf_general.txt");
  cv::Mat grey, small;
  cv::cvtColor(frame->bgr, grey, cv::COLOR_BGR2GRAY);
  cv::resize(grey, small, cv::Size(), 0.6, 0.6, cv::INTER_AREA);
  pdm_params start = ref.params(0, model->pdm().mode_count());
  start.scale *= 0.6, start.tx *= 0.6, start.ty *= 0.6;
  const clnf_fit_result r = model->fit(small, start, clnf_fit_options::tracking());
  EXPECT_LT(r.params.scale, 0.25);
  EXPECT_TRUE(r.face_too_small);
  clnf_fit_options any_size = clnf_fit_options::tracking();
  any_size.min_face_scale = 0;
  EXPECT_FALSE(model->fit(small, start, any_size).face_too_small);
  // The same face at full size is not.
  EXPECT_FALSE(
      model->fit(grey, ref.params(0, model->pdm().mode_count()), clnf_fit_options::tracking())
          .face_too_small);
}

}  // namespace
}  // namespace facemirror
