// landmark_model loading and face_tracker on the shared sample videos against OpenFace 2.2.
#include "facemirror/landmarks/face_tracker.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>
#include <gtest/gtest.h>
#include <opencv2/videoio.hpp>

#include "facemirror/error.h"

#include "support/reference_csv.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

// --- landmark_model: load errors name the file -----------------------------------------

void expect_model_error(const std::filesystem::path& file) {
  try {
    landmark_model model(file);
    FAIL() << "loaded " << file;
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::model_format);
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "multi-line message";
  }
}

TEST(LandmarkModel, MissingFileIsNamed) {
  expect_model_error(test::scratch_dir() / "no_such_model.dat");
}

TEST(LandmarkModel, GarbageFileIsNamed) {
  const auto file = test::scratch_dir() / "garbage.dat";
  std::ofstream(file) << "this is not a shape predictor\n";
  expect_model_error(file);
  const auto empty = test::scratch_dir() / "empty.dat";
  std::ofstream{empty};
  expect_model_error(empty);
}

TEST(LandmarkModel, TruncatedModelIsNamed) {
  const auto model = test::dlib_landmark_model();
  if (!model)
    GTEST_SKIP() << "dlib landmark model not installed";
  std::ifstream in(*model, std::ios::binary);
  std::vector<char> head(1 << 20);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  const auto file = test::scratch_dir() / "truncated.dat";
  std::ofstream(file, std::ios::binary).write(head.data(), in.gcount());
  expect_model_error(file);
}

// The model is read with a decoder of our own (landmark_model.cpp); dlib's own shape_predictor,
// read by dlib, must place every landmark where ours does: dlib rounds to whole pixels and ours
// is shifted by -0.5 px, so ours + 0.5 lies within half a pixel of dlib's.
TEST(LandmarkModel, ReadsTheModelAsDlibDoes) {
  const auto model_file = test::dlib_landmark_model();
  FACEMIRROR_REQUIRE_SHARED();
  if (!model_file)
    GTEST_SKIP() << "dlib landmark model not installed";
  dlib::shape_predictor dlib_model;
  dlib::deserialize(model_file->string()) >> dlib_model;
  const landmark_model ours(*model_file);
  cv::VideoCapture capture(
      (*test::shared_dir() / "videos" / "openface-samples" / "default.wmv").string());
  cv::Mat frame;
  ASSERT_TRUE(capture.read(frame));
  for (const cv::Rect2d box : {cv::Rect2d(250, 160, 160, 160), cv::Rect2d(230, 150, 200, 190)}) {
    const landmarks_2d mine = ours.predict(frame, box);
    const dlib::full_object_detection theirs =
        dlib_model(dlib::cv_image<dlib::bgr_pixel>(frame),
                   dlib::rectangle(static_cast<long>(box.x), static_cast<long>(box.y),
                                   static_cast<long>(box.x + box.width - 1),
                                   static_cast<long>(box.y + box.height - 1)));
    ASSERT_EQ(theirs.num_parts(), static_cast<unsigned long>(landmark_count));
    for (int i = 0; i < landmark_count; ++i) {
      EXPECT_NEAR(mine[i].x + 0.5, theirs.part(i).x(), 0.5 + 1e-3) << "landmark " << i;
      EXPECT_NEAR(mine[i].y + 0.5, theirs.part(i).y(), 0.5 + 1e-3) << "landmark " << i;
    }
  }
}

// --- face_tracker on videos -------------------------------------------------------------

std::shared_ptr<const landmark_model> shared_model() {
  // One load (~0.5 s) for the whole test program; the model is immutable.
  static const auto model = std::make_shared<const landmark_model>(*test::dlib_landmark_model());
  return model;
}

#define REQUIRE_DATA()                          \
  do {                                          \
    FACEMIRROR_REQUIRE_SHARED();                \
    if (!test::dlib_landmark_model())           \
      GTEST_SKIP() << "no dlib landmark model"; \
  } while (0)

std::vector<cv::Mat> read_frames(const char* video, int count) {
  cv::VideoCapture capture((*test::shared_dir() / "videos" / "openface-samples" / video).string());
  std::vector<cv::Mat> frames;
  cv::Mat frame;
  while (static_cast<int>(frames.size()) < count && capture.read(frame))
    frames.push_back(frame.clone());
  EXPECT_EQ(static_cast<int>(frames.size()), count) << video;
  return frames;
}

// OpenFace's landmarks per frame (1-based frame numbers) from its reference CSV.
std::map<int, landmarks_2d> read_reference(const char* stem) {
  const test::reference_csv csv(*test::shared_dir() / "reference" / "openface22" /
                                (std::string(stem) + ".csv"));
  std::map<int, landmarks_2d> out;
  for (size_t r = 0; r < csv.rows(); ++r)
    out[static_cast<int>(csv.at(r, "frame"))] = csv.landmarks(r);
  return out;
}

// Settings that would make the tracker find nothing, or read outside its region, are refused.
TEST(FaceTracker, RefusesOptionsItCannotWorkWith) {
  if (!test::dlib_landmark_model())
    GTEST_SKIP() << "no dlib landmark model";
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& spoil : std::vector<std::function<void(face_tracker_options&)>>{
           [&](face_tracker_options& o) { o.acquire_score = nan; },
           [&](face_tracker_options& o) { o.track_score = nan; },
           [](face_tracker_options& o) { o.min_overlap = 1.5; },
           [](face_tracker_options& o) { o.roi_scale = 0.5; },
           [](face_tracker_options& o) { o.roi_face_px = 40; },
           [](face_tracker_options& o) { o.max_lost_frames = -1; }}) {
    face_tracker_options options;
    spoil(options);
    EXPECT_THROW(face_tracker(shared_model(), options), error);
  }
  EXPECT_NO_THROW(face_tracker(shared_model(), face_tracker_options{}));
}

TEST(FaceTracker, FollowsDefaultWmvCloseToOpenFace) {
  REQUIRE_DATA();
  const auto frames = read_frames("default.wmv", 60);
  const auto reference = read_reference("default");
  face_tracker tracker(shared_model());
  double sum = 0.0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const face_observation obs = tracker.track(frames[i]);
    ASSERT_TRUE(obs.success) << "frame " << i + 1;
    EXPECT_GT(obs.confidence, 0.5);
    EXPECT_LE(obs.confidence, 1.0);
    const double d = mean_landmark_distance(obs.landmarks, reference.at(static_cast<int>(i) + 1));
    EXPECT_LT(d, 5.0) << "frame " << i + 1;  // measured max 2.72 px
    sum += d;
  }
  // Measured 2.10 px over these 60 frames (dlib's model against OpenFace's CLNF).
  EXPECT_LT(sum / frames.size(), 3.0);
}

TEST(FaceTracker, FollowsTheLargestFaceOfSeveral) {
  REQUIRE_DATA();
  // Three people; OpenFace follows the large face in front. It starts in profile (where dlib's
  // model and CLNF disagree by 10-20 px), so compare once it faces the camera.
  const auto frames = read_frames("multi_face.avi", 40);
  const auto reference = read_reference("multi_face");
  face_tracker tracker(shared_model());
  double sum = 0.0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const face_observation obs = tracker.track(frames[i]);
    ASSERT_TRUE(obs.success) << "frame " << i + 1;
    if (i >= 20)
      sum += mean_landmark_distance(obs.landmarks, reference.at(static_cast<int>(i) + 1));
  }
  EXPECT_LT(sum / 20, 4.0);  // measured 2.2 px; another face would be > 100 px away
}

TEST(FaceTracker, FitsLandmarksOnlyOnAcquisitionWhenAsked) {
  REQUIRE_DATA();
  const auto frames = read_frames("default.wmv", 5);
  face_tracker every(shared_model()), on_acquisition(shared_model());
  for (size_t i = 0; i < frames.size(); ++i) {
    const auto a = every.track(frames[i]);
    const auto b = on_acquisition.track(frames[i], landmark_fitting::on_acquisition);
    ASSERT_TRUE(a.success && b.success) << "frame " << i + 1;
    EXPECT_EQ(a.acquired, i == 0);
    EXPECT_EQ(b.acquired, i == 0);
    EXPECT_TRUE(a.fitted);
    EXPECT_EQ(b.fitted, i == 0) << "frame " << i + 1;
    EXPECT_EQ(a.face_box, b.face_box) << "the face is followed alike";
    if (i > 0) {
      // Asked for afterwards, the landmarks are the ones every_frame fitted.
      const landmarks_2d late = on_acquisition.fit_landmarks(frames[i]);
      EXPECT_EQ(late, a.landmarks) << "frame " << i + 1;
    }
  }
}

TEST(FaceTracker, IsDeterministic) {
  REQUIRE_DATA();
  const auto frames = read_frames("default.wmv", 30);
  face_tracker a(shared_model());
  face_tracker b(shared_model());
  for (const auto& frame : frames) {
    const auto oa = a.track(frame);
    const auto ob = b.track(frame);
    ASSERT_EQ(oa.success, ob.success);
    EXPECT_EQ(oa.confidence, ob.confidence);
    for (size_t i = 0; i < landmark_count; ++i)
      ASSERT_EQ(oa.landmarks[i], ob.landmarks[i]);
  }
}

TEST(FaceTracker, KeepsLastLandmarksWhenTheFaceIsLostAndForgetsThemOnReset) {
  REQUIRE_DATA();
  const auto frames = read_frames("default.wmv", 5);
  const cv::Mat blank(frames[0].size(), frames[0].type(), cv::Scalar::all(90));
  face_tracker tracker(shared_model());
  face_observation last;
  for (const auto& frame : frames)
    last = tracker.track(frame);
  ASSERT_TRUE(last.success);

  const face_observation lost = tracker.track(blank);
  EXPECT_FALSE(lost.success);
  EXPECT_EQ(lost.confidence, 0.0);
  EXPECT_EQ(lost.landmarks, last.landmarks);  // OpenFace writes the last known landmarks

  const face_observation back = tracker.track(frames[4]);
  EXPECT_TRUE(back.success);  // re-detected (whole frame) near where it was lost
  EXPECT_LT(mean_landmark_distance(back.landmarks, last.landmarks), 3.0);

  tracker.reset();
  const face_observation fresh = tracker.track(blank);
  EXPECT_FALSE(fresh.success);
  EXPECT_EQ(fresh.landmarks, landmarks_2d{});

  // After a reset the first frame gives exactly what a new tracker gives.
  face_tracker other(shared_model());
  tracker.reset();
  EXPECT_EQ(tracker.track(frames[2]).landmarks, other.track(frames[2]).landmarks);
}

}  // namespace
}  // namespace facemirror
