// video_reader on the shared sample videos, checked against OpenFace 2.2's reference CSVs.

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "io_test_util.h"

namespace facemirror {
namespace {

namespace fs = std::filesystem;

struct sample {
  const char* video;  // under videos/
  const char* csv;    // under reference/openface22/
  int64_t frames;
};

const sample samples[] = {
    {"openface-samples/default.wmv", "default.csv", 288},
    {"openface-samples/changeLighting.wmv", "changeLighting.csv", 88},
    {"openface-samples/2015-10-15-15-14.avi", "2015-10-15-15-14.csv", 842},
    {"openface-samples/multi_face.avi", "multi_face.csv", 702},
    {"open_dbm/subj01_timepoint01.mp4", "subj01_timepoint01.csv", 158},
    {"open_dbm/subj02_timepoint01.mp4", "subj02_timepoint01.csv", 148},
};

fs::path video_path(const char* name) {
  return *test::shared_dir() / "videos" / name;
}

// The timestamp column ("frame, face_id, timestamp, ...") of a reference CSV, as written.
std::vector<std::string> reference_timestamps(const char* csv) {
  std::ifstream in(*test::shared_dir() / "reference" / "openface22" / csv);
  std::vector<std::string> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 3; ++i)
      std::getline(fields, field, ',');
    out.push_back(field.substr(field.find_first_not_of(' ')));
  }
  return out;
}

std::string three_decimals(double t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", t);
  return text;
}

class SharedVideo : public ::testing::TestWithParam<sample> {};

TEST_P(SharedVideo, FramesAndTimestampsMatchOpenFace) {
  FACEMIRROR_REQUIRE_SHARED();
  const sample& s = GetParam();
  const video_info info = probe_video(video_path(s.video));
  ASSERT_EQ(info.frame_count(), s.frames);
  const auto expected = reference_timestamps(s.csv);
  ASSERT_EQ(static_cast<int64_t>(expected.size()), s.frames);
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(three_decimals(info.timestamps_s[i]), expected[i]) << "frame " << i;
  }

  video_reader reader(info);
  int64_t count = 0;
  while (auto frame = reader.read()) {
    ASSERT_EQ(frame->index, count);
    ASSERT_EQ(frame->timestamp_s, info.timestamps_s[static_cast<size_t>(count)]);
    ASSERT_EQ(frame->bgr.cols, info.width);
    ASSERT_EQ(frame->bgr.rows, info.height);
    ++count;
  }
  EXPECT_EQ(count, s.frames) << "decoded frames differ from container frames";
}

TEST_P(SharedVideo, SeekGivesSamePixelsAsSequentialRead) {
  FACEMIRROR_REQUIRE_SHARED();
  const video_info info = probe_video(video_path(GetParam().video));
  video_reader sequential_reader(info);
  const auto sequential = test::read_all(sequential_reader);
  ASSERT_EQ(static_cast<int64_t>(sequential.size()), info.frame_count());

  const int64_t n = info.frame_count();
  std::vector<int64_t> indices = {n / 2, n / 3, n - 1, 1, 2 * n / 3, n / 4 + 1};
  for (int64_t key : info.keyframe_indices) {
    if (key > 0 && indices.size() < 12)
      indices.insert(indices.end(), {key, key - 1, key + 1});
  }
  video_reader reader(info);
  test::expect_seeks_match(reader, sequential, indices, 2);
}

INSTANTIATE_TEST_SUITE_P(Samples, SharedVideo, ::testing::ValuesIn(samples),
                         [](const ::testing::TestParamInfo<sample>& p) {
                           std::string name = fs::path(p.param.video).stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           }
                           return name;
                         });

TEST(SharedVideoRotation, PortraitCopyOfPhoneVideoComesOutUpright) {
  FACEMIRROR_REQUIRE_SHARED();
  FACEMIRROR_REQUIRE_FFMPEG();
  const auto dir = test::scratch_dir();
  test::expect_rotation_like_ffmpeg(video_path("open_dbm/subj01_timepoint01.mp4"), dir, 90);
  const video_info info = probe_video(dir / "rotate90.mp4");
  EXPECT_EQ(info.width, 720);
  EXPECT_EQ(info.height, 1080);
}

// A truncated copy fails with a codec error, in probe or decode, rather than yielding fewer
// frames (the CLI then writes no CSV).
void expect_truncated_copy_fails(const char* video, const char* name) {
  const auto src = video_path(video);
  const auto cut = test::truncated_copy(src, test::scratch_dir() / name, fs::file_size(src) / 2);
  try {
    video_reader reader(probe_video(cut));
    while (reader.read()) {
    }
    ADD_FAILURE() << "truncated " << cut << " was read without error";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::codec) << e.what();
    EXPECT_NE(std::string(e.what()).find(cut.string()), std::string::npos) << e.what();
  }
}

TEST(SharedVideoTruncated, Mp4) {
  FACEMIRROR_REQUIRE_SHARED();
  expect_truncated_copy_fails("open_dbm/subj01_timepoint01.mp4", "cut.mp4");
}

TEST(SharedVideoTruncated, Avi) {
  FACEMIRROR_REQUIRE_SHARED();
  expect_truncated_copy_fails("openface-samples/2015-10-15-15-14.avi", "cut.avi");
}

TEST(SharedVideoTruncated, Wmv) {
  FACEMIRROR_REQUIRE_SHARED();
  expect_truncated_copy_fails("openface-samples/default.wmv", "cut.wmv");
}

}  // namespace
}  // namespace facemirror
