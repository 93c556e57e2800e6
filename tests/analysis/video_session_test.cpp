// video_session (one video on the caller's thread) gives the rows the parallel engine writes
// for that video in one segment, byte for byte: the engine adds concurrency, not arithmetic.
#include "facemirror/analysis/video_session.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "facemirror/io/video_reader.h"
#include "facemirror/models/model_paths.h"
#include "facemirror/pipeline/engine.h"

#include "support/test_data.h"

namespace facemirror {
namespace {

namespace fs = std::filesystem;

TEST(video_session, gives_the_engines_csv_byte_for_byte) {
  FACEMIRROR_REQUIRE_SHARED();
  if (!test::dlib_landmark_model())
    GTEST_SKIP() << "libdlib-data not installed";
  const fs::path shared = *test::shared_dir();
  const fs::path video = shared / "videos/openface-samples/changeLighting.wmv";
  const fs::path dir = test::scratch_dir();

  engine_options options;
  options.models_dir = shared / "models/openface";
  options.workers = 1;
  options.segment_frames = 1 << 20;  // one segment: the track video_session follows
  video_job job;
  job.input = video;
  job.output_csv = dir / "engine.csv";
  {
    engine e(options);
    ASSERT_TRUE(e.run({job})[0].ok);
  }
  std::ifstream in(job.output_csv, std::ios::binary);
  std::stringstream engine_csv;
  engine_csv << in.rdbuf();

  auto models = std::make_shared<const analysis_models>(
      resolve_model_paths(shared / "models/openface"), true, false, true);
  video_session session(models);
  std::vector<frame_record> rows;
  video_reader reader(probe_video(video));
  while (auto frame = reader.read())
    rows.push_back(session.track(frame->bgr, frame->timestamp_s));
  const std::vector<au_values> aus = session.finish();
  ASSERT_EQ(aus.size(), rows.size());
  EXPECT_EQ(session.frames_tracked(), 0);  // finish() starts over

  csv_columns columns;
  columns.mode_count = models->pdm->mode_count();
  columns.au_intensity_names = models->aus->intensity_names();
  columns.au_presence_names = models->aus->presence_names();
  std::string csv = csv_header(columns);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].au_intensity = aus[i].intensity;
    rows[i].au_presence = aus[i].presence;
    append_csv_row(csv, rows[i], columns);
  }
  EXPECT_EQ(rows.size(), 88u);
  EXPECT_TRUE(csv == engine_csv.str()) << "video_session's CSV differs from the engine's";
}

// The caller's frames are only read: a grey frame followed by colour ones stays as it was
// (its pixels once became the tracker's conversion buffer, which the next colour frame's
// conversion wrote into), and BGRA frames, whose first needs the detector, track as BGR.
TEST(video_session, reads_grey_and_bgra_frames_without_writing_them) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path shared = *test::shared_dir();
  auto models = std::make_shared<const analysis_models>(
      resolve_model_paths(shared / "models/openface"), true, false, true);
  video_reader reader(probe_video(shared / "videos/openface-samples/changeLighting.wmv"));
  std::vector<cv::Mat> frames;
  std::vector<double> times;
  while (frames.size() < 4) {
    auto frame = reader.read();
    ASSERT_TRUE(frame);
    frames.push_back(frame->bgr.clone());
    times.push_back(frame->timestamp_s);
  }

  video_session mixed(models);
  cv::Mat grey;
  cv::cvtColor(frames[0], grey, cv::COLOR_BGR2GRAY);
  const cv::Mat grey_before = grey.clone();
  EXPECT_TRUE(mixed.track(grey, times[0]).success);
  for (size_t i = 1; i < frames.size(); ++i)
    EXPECT_TRUE(mixed.track(frames[i], times[i]).success) << "frame " << i;
  EXPECT_EQ(cv::norm(grey, grey_before, cv::NORM_INF), 0.0) << "the caller's grey frame changed";

  video_session from_bgr(models), from_bgra(models);
  for (size_t i = 0; i < frames.size(); ++i) {
    cv::Mat bgra;
    cv::cvtColor(frames[i], bgra, cv::COLOR_BGR2BGRA);
    const frame_record want = from_bgr.track(frames[i], times[i]);
    const frame_record got = from_bgra.track(bgra, times[i]);
    ASSERT_TRUE(got.success) << "frame " << i;
    for (size_t k = 0; k < want.landmarks.size(); ++k)
      EXPECT_EQ(got.landmarks[k], want.landmarks[k]) << "frame " << i << " landmark " << k;
  }
  // Time running backwards, or a frame that is no image, is refused, untracked.
  const int64_t tracked = from_bgr.frames_tracked();
  EXPECT_THROW((void)from_bgr.track(frames[0], times.back() - 0.5), error);
  EXPECT_THROW((void)from_bgr.track(cv::Mat(48, 64, CV_8UC2), times.back() + 1), error);
  EXPECT_EQ(from_bgr.frames_tracked(), tracked);
  EXPECT_NO_THROW((void)from_bgr.track(frames[0], times.back()));  // an equal time is fine
  // A frame of another size (a frame folder's images may differ) is tracked in its own pixels.
  cv::Mat shrunk;
  cv::resize(frames.back(), shrunk, cv::Size(), 0.8, 0.8, cv::INTER_AREA);
  const frame_record full = from_bgr.track(frames.back(), times.back());
  const frame_record small = from_bgr.track(shrunk, times.back());
  ASSERT_TRUE(full.success && small.success);
  for (size_t k = 0; k < full.landmarks.size(); ++k)
    EXPECT_LT(cv::norm(cv::Point2d(small.landmarks[k]) / 0.8 - cv::Point2d(full.landmarks[k])), 3.0)
        << "landmark " << k;
}

}  // namespace
}  // namespace facemirror
