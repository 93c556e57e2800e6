// How landmark_session finds a new face: a face too small for dlib's HOG detector (an 80 px
// window) is found by MTCNN on the whole frame, as OpenFace's video mode finds it, and CLNF
// started in MTCNN's box reproduces OpenFace's first row.
#include <gtest/gtest.h>

#include "facemirror/analysis/landmark_session.h"
#include "facemirror/detect/face_detector.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/models/model_paths.h"

#include "support/reference_csv.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

TEST(mtcnn_acquisition, finds_a_face_too_small_for_dlib) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto dir = *test::shared_dir();
  const std::string stem = "subj01_timepoint01_216x144";  // face ~53 px wide
  const test::reference_csv ref(dir / "reference/openface22" / (stem + ".csv"));
  video_reader reader(probe_video(dir / "videos/small_faces" / (stem + ".mp4")));
  const auto frame = reader.read();
  ASSERT_TRUE(frame);
  // The case this guards: dlib's detector sees no face here.
  ASSERT_TRUE(face_detector{}.detect(frame->bgr).empty());

  const analysis_models models(resolve_model_paths(dir / "models/openface"), false, false, true);
  landmark_session session(models, face_tracker_options{});
  std::optional<pdm_params> params;
  const face_observation seen = session.observe(frame->bgr, params);
  ASSERT_TRUE(seen.success) << "OpenFace tracks this face from frame 1";
  ASSERT_TRUE(params);
  EXPECT_NEAR(seen.confidence, ref.at(0, "confidence"), 0.005);  // printed to 2 decimals
  const landmarks_2d truth = ref.landmarks(0);
  double d = 0;
  for (int i = 0; i < landmark_count; ++i)
    d += cv::norm(seen.landmarks[i] - truth[i]);
  EXPECT_LT(d / landmark_count, 0.06) << "mean landmark distance to OpenFace's frame 1, px";
}

}  // namespace
}  // namespace facemirror
