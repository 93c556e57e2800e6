// Frame folders (OpenFace's -fdir) read as videos: frames in name order at time 0, seekable,
// each at its own size, and a file that is no image named in the error.
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "facemirror/io/video_reader.h"

#include "support/test_data.h"

namespace facemirror {
namespace {

namespace fs = std::filesystem;

// A w x h image whose every pixel is `level`, so a frame's content says which file it came from.
void write_frame(const fs::path& file, int level, int w = 32, int h = 24) {
  ASSERT_TRUE(cv::imwrite(file.string(), cv::Mat(h, w, CV_8UC3, cv::Scalar::all(level))));
}

TEST(frame_folder, frames_in_name_order_at_time_zero_and_seekable) {
  const fs::path dir = test::scratch_dir();
  write_frame(dir / "010.png", 30);
  write_frame(dir / "002.png", 20);
  write_frame(dir / "001.png", 10);
  std::ofstream(dir / "notes.txt") << "not a frame";
  // macOS's AppleDouble companion of a frame copied to exFAT: hidden, not a frame.
  std::ofstream(dir / "._001.png") << "Mac OS X        ATTR";
  const video_info info = probe_video(dir);
  ASSERT_EQ(info.frame_count(), 3);
  EXPECT_EQ(info.width, 32);
  EXPECT_EQ(info.height, 24);
  video_reader reader(info);
  for (int i = 0; i < 3; ++i) {
    const auto frame = reader.read();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->index, i);
    EXPECT_EQ(frame->timestamp_s, 0.0);
    EXPECT_EQ(frame->bgr.at<cv::Vec3b>(0, 0)[0], (i + 1) * 10);
  }
  EXPECT_FALSE(reader.read());
  reader.seek(1);
  const auto again = reader.read();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->index, 1);
  EXPECT_EQ(again->bgr.at<cv::Vec3b>(0, 0)[0], 20);
}

// The test above has three files, which a directory may well list in name order anyway (ext4
// lists by name hash, tmpfs newest first): 24 files leave a missing sort no such luck.
TEST(frame_folder, many_frames_come_in_name_order_whatever_the_directory_order) {
  const fs::path dir = test::scratch_dir();
  constexpr int count = 24;
  for (int k = 0; k < count; ++k) {
    const int i = (k * 7) % count;  // created out of order too
    write_frame(dir / ("frame_" + std::to_string(100 + i) + ".png"), 10 * i);
  }
  const video_info info = probe_video(dir);
  ASSERT_EQ(info.frame_count(), count);
  video_reader reader(info);
  for (int i = 0; i < count; ++i) {
    const auto frame = reader.read();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->bgr.at<cv::Vec3b>(0, 0)[0], 10 * i) << "frame " << i;
  }
}

// OpenFace reads -fdir's images one by one, whatever their sizes: so does the reader (the
// folder's size, the camera's, stays the first image's); a file that is no image is named.
TEST(frame_folder, each_image_at_its_own_size_and_one_that_is_no_image_named) {
  const fs::path dir = test::scratch_dir();
  write_frame(dir / "a.png", 10);
  write_frame(dir / "b.png", 20, 40, 30);
  std::ofstream(dir / "c.png") << "not an image";
  const video_info info = probe_video(dir);
  EXPECT_EQ(info.width, 32);
  EXPECT_EQ(info.height, 24);
  video_reader reader(info);
  const auto first = reader.read();
  const auto second = reader.read();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->bgr.size(), cv::Size(32, 24));
  EXPECT_EQ(second->bgr.size(), cv::Size(40, 30));
  EXPECT_EQ(second->bgr.at<cv::Vec3b>(0, 0)[0], 20);
  try {
    (void)reader.read();
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("c.png"), std::string::npos) << e.what();
  }
}

TEST(frame_folder, a_folder_without_images_is_an_error) {
  const fs::path dir = test::scratch_dir();
  std::ofstream(dir / "notes.txt") << "not a frame";
  EXPECT_THROW((void)probe_video(dir), error);
}

}  // namespace
}  // namespace facemirror
