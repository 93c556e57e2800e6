// OpenFace's HOG file, aligned-face folder and details file: layout, atomicity, errors.

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "facemirror/error.h"
#include "facemirror/output/aligned_face_folder.h"
#include "facemirror/output/hog_file.h"
#include "facemirror/output/of_details.h"

#include "support/bmp_reader.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

namespace fs = std::filesystem;

void write_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

TEST(hog_file_test, records_round_trip_in_openface_layout) {
  const fs::path file = test::scratch_dir() / "clip.hog";
  std::vector<float> values(2 * 3 * 31);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = 0.001f * static_cast<float>(i);
  {
    hog_file_writer writer(file);
    writer.add(values, 2, 3, 31, true);
    writer.add(values, 2, 3, 31, false);
    EXPECT_FALSE(fs::exists(file));
    writer.commit();
  }
  const std::string bytes = test::read_bytes(file);
  ASSERT_EQ(bytes.size(), 2 * (16 + values.size() * 4));
  // Header: cell columns, cell rows, channels (int32), then validity as a float.
  int32_t header[3];
  float valid = 0;
  std::memcpy(header, bytes.data(), 12);
  std::memcpy(&valid, bytes.data() + 12, 4);
  EXPECT_EQ(header[0], 3);
  EXPECT_EQ(header[1], 2);
  EXPECT_EQ(header[2], 31);
  EXPECT_EQ(valid, 1.0f);
  const std::vector<hog_record> records = read_hog_file(file);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].cols, 3);
  EXPECT_EQ(records[0].rows, 2);
  EXPECT_TRUE(records[0].valid);
  EXPECT_FALSE(records[1].valid);
  EXPECT_EQ(records[1].values, values);
}

TEST(hog_file_test, abandoned_writer_leaves_nothing_and_bad_sizes_throw) {
  const fs::path dir = test::scratch_dir();
  {
    hog_file_writer writer(dir / "clip.hog");
    EXPECT_THROW(writer.add(std::vector<float>(10), 2, 2, 31, true), error);
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(hog_file_test, malformed_files_are_named_in_the_error) {
  const fs::path dir = test::scratch_dir();
  const fs::path truncated = dir / "truncated.hog";
  {
    hog_file_writer writer(truncated);
    writer.add(std::vector<float>(31, 0.5f), 1, 1, 31, true);
    writer.commit();
  }
  std::string bytes = test::read_bytes(truncated);
  write_bytes(truncated, bytes.substr(0, bytes.size() - 4));
  try {
    (void)read_hog_file(truncated);
    FAIL() << "a truncated record was accepted";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated.hog"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated record"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)read_hog_file(dir / "missing.hog"), error);
}

// A record of no cells is a record of no values (found by fuzz_hog_file: copying its zero bytes
// from a null vector was undefined behaviour, which the UBSan run of this test catches).
TEST(hog_file_test, a_record_without_cells_reads_as_empty) {
  const fs::path file = test::scratch_dir() / "empty.hog";
  std::string bytes(16, '\0');
  const int32_t header[3] = {0, 12, 31};
  const float valid = 1.0f;
  std::memcpy(bytes.data(), header, 12);
  std::memcpy(bytes.data() + 12, &valid, 4);
  write_bytes(file, bytes + bytes);
  const std::vector<hog_record> records = read_hog_file(file);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].rows, 12);
  EXPECT_TRUE(records[1].values.empty());
}

// A header that no writer produces is corruption: the reader must say so, naming the file,
// rather than hand back a record (a valid flag of 0.5, or 5000 cell columns of no rows).
TEST(hog_file_test, impossible_headers_and_a_cut_header_are_rejected) {
  const fs::path dir = test::scratch_dir();
  const auto header = [](int32_t cols, int32_t rows, int32_t channels, float valid) {
    std::string bytes(16, '\0');
    const int32_t ints[3] = {cols, rows, channels};
    std::memcpy(bytes.data(), ints, 12);
    std::memcpy(bytes.data() + 12, &valid, 4);
    return bytes;
  };
  const auto expect_rejected = [&](const std::string& name, const std::string& bytes,
                                   const std::string& why) {
    write_bytes(dir / name, bytes);
    try {
      (void)read_hog_file(dir / name);
      ADD_FAILURE() << name << " was accepted";
    } catch (const error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  expect_rejected("half_valid.hog", header(0, 0, 31, 0.5f), "bad record header");
  expect_rejected("wide.hog", header(5000, 0, 31, 1.0f), "bad record header");
  expect_rejected("cut.hog", header(0, 0, 31, 1.0f) + header(1, 1, 31, 1.0f).substr(0, 10),
                  "truncated record header");
}

TEST(aligned_face_folder_test, bmp_layout_is_opencvs) {
  cv::Mat face(3, 5, CV_8UC3);
  for (int y = 0; y < face.rows; ++y)
    for (int x = 0; x < face.cols; ++x)
      face.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(x), uchar(y), uchar(x + 10 * y));
  const std::string bmp = encode_bmp(face);
  // 5 pixels of 3 bytes padded to 16-byte rows, under a 54-byte header.
  ASSERT_EQ(bmp.size(), 54u + 3 * 16);
  const fs::path file = test::scratch_dir() / "face.bmp";
  write_bytes(file, bmp);
  const cv::Mat back = test::read_bmp(file);
  EXPECT_EQ(cv::norm(back, face, cv::NORM_INF), 0.0);
  EXPECT_EQ(aligned_face_name(1), "frame_det_00_000001.bmp");
  EXPECT_EQ(aligned_face_name(123456), "frame_det_00_123456.bmp");
  EXPECT_THROW((void)encode_bmp(cv::Mat(2, 2, CV_32FC1)), error);
}

// A grey face is written as BGR with the grey in all three channels (the header's promise).
TEST(aligned_face_folder_test, grey_faces_are_written_as_bgr) {
  cv::Mat grey(3, 5, CV_8UC1);
  for (int y = 0; y < grey.rows; ++y)
    for (int x = 0; x < grey.cols; ++x)
      grey.at<uchar>(y, x) = uchar(20 * y + x);
  const fs::path file = test::scratch_dir() / "grey.bmp";
  write_bytes(file, encode_bmp(grey));
  cv::Mat bgr;
  cv::merge(std::vector<cv::Mat>{grey, grey, grey}, bgr);
  EXPECT_EQ(cv::norm(test::read_bmp(file), bgr, cv::NORM_INF), 0.0);
}

TEST(aligned_face_folder_test, bytes_equal_openfaces_own_bmp) {
  FACEMIRROR_REQUIRE_SHARED();
  const fs::path reference = *test::shared_dir() /
                             "reference/openface22/hog_simalign/changeLighting_aligned/"
                             "frame_det_00_000001.bmp";
  EXPECT_TRUE(encode_bmp(test::read_bmp(reference)) == test::read_bytes(reference));
}

TEST(aligned_face_folder_test, folder_appears_whole_on_commit_and_replaces_an_old_one) {
  const fs::path dir = test::scratch_dir();
  const fs::path target = dir / "clip_aligned";
  const cv::Mat face(4, 4, CV_8UC3, cv::Scalar(1, 2, 3));
  fs::create_directory(target);
  write_bytes(target / "stale.bmp", "old");
  {
    aligned_face_folder folder(target);
    folder.add(1, face);
    folder.add(2, face);
    EXPECT_TRUE(fs::exists(target / "stale.bmp")) << "the old folder stays until commit";
    EXPECT_FALSE(fs::exists(target / "frame_det_00_000001.bmp"));
    folder.commit();
  }
  EXPECT_FALSE(fs::exists(target / "stale.bmp"));
  EXPECT_TRUE(fs::exists(target / "frame_det_00_000002.bmp"));
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir))
    ++entries;
  EXPECT_EQ(entries, 1u) << "the swapped-out folder was not removed";
}

TEST(aligned_face_folder_test, abandoned_folder_leaves_nothing_behind) {
  const fs::path dir = test::scratch_dir();
  {
    aligned_face_folder folder(dir / "clip_aligned");
    folder.add(1, cv::Mat(4, 4, CV_8UC1, cv::Scalar(7)));
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

// -format_aligned: any format OpenCV writes, by OpenCV's encoder (as OpenFace's imwrite); a
// grey face in a BMP is OpenCV's 8-bit one, not encode_bmp's 24-bit copy.
TEST(aligned_face_folder_test, other_formats_are_opencvs_and_unwritable_ones_are_refused) {
  EXPECT_TRUE(can_write_image_format("png"));
  EXPECT_TRUE(can_write_image_format("jpg"));
  EXPECT_TRUE(can_write_image_format("PNG"));
  for (const char* bad : {"", "xyz", ".png", "../png", "png/x"})
    EXPECT_FALSE(can_write_image_format(bad)) << bad;
  EXPECT_EQ(aligned_face_name(7, 0, "png"), "frame_det_00_000007.png");

  cv::Mat face(6, 5, CV_8UC3);
  cv::randu(face, 0, 256);
  const std::string png = encode_image(face, "png");
  const cv::Mat back =
      cv::imdecode(std::vector<uchar>(png.begin(), png.end()), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(back.type(), CV_8UC3);
  EXPECT_EQ(cv::norm(back, face, cv::NORM_INF), 0.0);
  EXPECT_EQ(encode_image(face, "bmp"), encode_bmp(face));
  const cv::Mat grey(6, 5, CV_8UC1, cv::Scalar(9));
  const std::string grey_bmp = encode_image(grey, "bmp");
  uint16_t bits = 0;
  std::memcpy(&bits, grey_bmp.data() + 28, sizeof(bits));
  EXPECT_EQ(bits, 8);
  EXPECT_THROW((void)encode_image(face, "xyz"), error);

  const fs::path dir = test::scratch_dir();
  {
    aligned_face_folder folder(dir / "clip_aligned", "png");
    folder.add(3, face);
    folder.commit();
  }
  EXPECT_TRUE(fs::exists(dir / "clip_aligned" / "frame_det_00_000003.png"));
  try {
    aligned_face_folder refused(dir / "other_aligned", "xyz");
    ADD_FAILURE() << "no error";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("other_aligned"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "other_aligned"));
}

TEST(of_details_test, matches_openfaces_layout) {
  of_details d;
  d.input = "videos/openface-samples/changeLighting.wmv";
  d.input_full = d.input;
  d.fx = d.fy = 500;
  d.cx = 320;
  d.cy = 240;
  d.hog = "changeLighting.hog";
  d.aligned_folder = "changeLighting_aligned";
  d.csv = "changeLighting.csv";
  const std::string expected =
      "Input:videos/openface-samples/changeLighting.wmv\n"
      "Input full path:videos/openface-samples/changeLighting.wmv\n"
      "Camera parameters:500,500,320,240\n"
      "Output HOG:changeLighting.hog\n"
      "Output aligned directory:changeLighting_aligned\n"
      "Output csv:changeLighting.csv\n"
      "Gaze: 0\nAUs: 0\nLandmarks 2D: 0\nLandmarks 3D: 0\nPose: 0\nShape parameters: 0\n";
  EXPECT_EQ(format_of_details(d), expected);
  if (const auto shared = test::shared_dir()) {
    EXPECT_EQ(format_of_details(d),
              test::read_bytes(*shared /
                               "reference/openface22/hog_simalign/changeLighting_of_details.txt"));
  }
  d.fx = d.fy = 458.3333333;
  d.hog.reset();
  d.aligned_folder.reset();
  d.aus = true;
  const std::string text = format_of_details(d);
  EXPECT_NE(text.find("Camera parameters:458.333,458.333,320,240\nOutput csv:"), std::string::npos)
      << text;
  EXPECT_NE(text.find("AUs: 1\n"), std::string::npos);
  // No CSV written (a photograph without a face): no CSV line, no column groups.
  d.csv.reset();
  EXPECT_EQ(format_of_details(d),
            "Input:videos/openface-samples/changeLighting.wmv\n"
            "Input full path:videos/openface-samples/changeLighting.wmv\n"
            "Camera parameters:458.333,458.333,320,240\n");
}

// The reference above has fx == fy and a relative input whose full path is itself: distinct
// values pin the order of_details.h gives (fx, fy, cx, cy) and which path goes where.
TEST(of_details_test, distinct_intrinsics_and_paths_each_in_their_place) {
  of_details d;
  d.input = "clip.mp4";
  d.input_full = "/data/study/clip.mp4";
  d.fx = 510;
  d.fy = 490;
  d.cx = 321;
  d.cy = 239;
  d.csv = "clip.csv";
  const std::string text = format_of_details(d);
  EXPECT_EQ(text.rfind("Input:clip.mp4\nInput full path:/data/study/clip.mp4\n"
                       "Camera parameters:510,490,321,239\n",
                       0),
            0u)
      << text;
}

// Each output group's line reports that group's flag (the reference above has them all 0).
TEST(of_details_test, each_flag_sets_its_own_line) {
  const std::pair<bool of_details::*, const char*> groups[] = {
      {&of_details::gaze, "Gaze: "},
      {&of_details::aus, "AUs: "},
      {&of_details::landmarks_2d, "Landmarks 2D: "},
      {&of_details::landmarks_3d, "Landmarks 3D: "},
      {&of_details::pose, "Pose: "},
      {&of_details::shape_parameters, "Shape parameters: "}};
  for (const auto& [on, on_name] : groups) {
    of_details d;
    d.csv = "v.csv";
    d.*on = true;
    const std::string text = format_of_details(d);
    for (const auto& [member, name] : groups) {
      const std::string line = std::string(name) + (member == on ? "1" : "0") + "\n";
      EXPECT_NE(text.find(line), std::string::npos) << on_name << " set:\n" << text;
    }
  }
}

}  // namespace
}  // namespace facemirror
