// Still images against OpenFace 2.2's FaceLandmarkImg (reference/openface22/images: one CSV per
// image, one row per face): the same faces, landmarks within 0.5 px, AUs from the static
// models correlated across all the faces.
#include "facemirror/analysis/image_analyzer.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/models/model_paths.h"

#include "support/au_fidelity.h"
#include "support/exif_jpeg.h"
#include "support/reference_csv.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

std::shared_ptr<const analysis_models> still_image_models(const std::filesystem::path& shared) {
  return std::make_shared<const analysis_models>(resolve_model_paths(shared / "models/openface"),
                                                 /*compute_aus=*/true, /*static_aus=*/true,
                                                 /*use_clnf=*/true);
}

TEST(image_analyzer, finds_and_measures_every_face_as_face_landmark_img) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto shared = *test::shared_dir();
  const image_analyzer analyzer(still_image_models(shared));

  const std::vector<std::string> images = {"sample1.jpg",
                                           "sample2.jpg",
                                           "sample3.jpg",
                                           "sample4.jpg",
                                           "sample5.jpg",
                                           "sample6.jpg",
                                           "sample3_16bit_gray.png",
                                           "sample3_16bit_rgb.png"};
  std::vector<std::string> au_names;
  std::vector<std::vector<double>> ours_au, ref_au;  // per AU, over all matched faces
  double distance_sum = 0;
  int matched = 0;
  for (const std::string& name : images) {
    const std::filesystem::path file = shared / "videos/openface-samples" / name;
    const test::reference_csv ref(shared / "reference/openface22/images" /
                                  (file.stem().string() + ".csv"));
    const std::vector<frame_record> faces = analyzer.analyze(read_image(file));
    EXPECT_EQ(faces.size(), ref.rows()) << name;
    for (size_t row = 0; row < ref.rows(); ++row) {
      const landmarks_2d want = ref.landmarks(row);
      const frame_record* best = nullptr;
      double best_distance = std::numeric_limits<double>::infinity();
      for (const frame_record& face : faces) {
        const double d = mean_landmark_distance(face.landmarks, want);
        if (d < best_distance)
          best = &face, best_distance = d;
      }
      if (best == nullptr)
        continue;
      std::printf(
          "%s face %zu: %.3f px, confidence %.3f (OpenFace %.3f), scale %.3f (%.3f) "
          "rotation %.3f %.3f %.3f (%.3f %.3f %.3f)\n",
          name.c_str(), row, best_distance, best->confidence, ref.at(row, "confidence"),
          best->params.scale, ref.at(row, "p_scale"), best->params.rx, best->params.ry,
          best->params.rz, ref.at(row, "p_rx"), ref.at(row, "p_ry"), ref.at(row, "p_rz"));
      EXPECT_EQ(best->index, static_cast<int64_t>(row)) << name << ": faces in another order";
      EXPECT_NEAR(best->confidence, ref.at(row, "confidence"), 0.0011) << name << " face " << row;
      distance_sum += best_distance;
      ++matched;
      ASSERT_EQ(best->au_intensity.size(), 17u);
      if (ours_au.empty())
        ours_au.resize(17), ref_au.resize(17);
      static const char* names[] = {"AU01", "AU02", "AU04", "AU05", "AU06", "AU07",
                                    "AU09", "AU10", "AU12", "AU14", "AU15", "AU17",
                                    "AU20", "AU23", "AU25", "AU26", "AU45"};
      for (size_t k = 0; k < 17; ++k) {
        ours_au[k].push_back(best->au_intensity[k]);
        ref_au[k].push_back(ref.at(row, std::string(names[k]) + "_r"));
      }
    }
  }
  ASSERT_GT(matched, 0);
  const double mean_distance = distance_sum / matched;
  double r_sum = 0;
  int r_count = 0;
  for (size_t k = 0; k < ours_au.size(); ++k) {
    const std::optional<double> r = test::pearson(ours_au[k], ref_au[k]);
    std::printf("AU intensity %zu: r %.4f\n", k, r.value_or(std::nan("")));
    if (r)
      r_sum += *r, ++r_count;
  }
  const double mean_r = r_sum / r_count;
  std::printf("%d faces matched: landmarks %.3f px mean, AU intensity r %.4f mean\n", matched,
              mean_distance, mean_r);
  EXPECT_LE(mean_distance, 0.5);
  EXPECT_GE(mean_r, 0.95);
}

TEST(image_analyzer, an_image_without_a_face_gives_no_face) {
  FACEMIRROR_REQUIRE_SHARED();
  const image_analyzer analyzer(still_image_models(*test::shared_dir()));
  const cv::Mat grey_wall(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
  EXPECT_TRUE(analyzer.analyze(grey_wall).empty());
  // Two channels are no image the analysis knows: said here, not deep in the detector.
  try {
    (void)analyzer.analyze(cv::Mat(240, 320, CV_8UC2, cv::Scalar(128, 128)));
    ADD_FAILURE() << "a two-channel image was analysed";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("image_analyzer: needs a non-empty 8-bit image of 1, 3 "
                                         "or 4 channels"),
              std::string::npos)
        << e.what();
  }
}

TEST(image_analyzer, refuses_the_dynamic_au_models) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto shared = *test::shared_dir();
  auto dynamic = std::make_shared<const analysis_models>(
      resolve_model_paths(shared / "models/openface"), true, /*static_aus=*/false, true);
  EXPECT_THROW(image_analyzer{dynamic}, error);
}

TEST(read_image, names_the_file_it_cannot_read) {
  const std::filesystem::path missing = "/nonexistent/face.jpg";
  try {
    (void)read_image(missing);
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::io);
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(": no such file"), std::string::npos) << e.what();
  }
  try {
    (void)read_image(missing.root_path());
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find(": a folder, not a file"), std::string::npos) << e.what();
  }
}

// A valid 8x8 JPEG whose frame header claims width x height pixels, in the test's scratch folder.
std::filesystem::path jpeg_claiming(int width, int height, const std::string& name) {
  std::vector<uchar> jpeg;
  EXPECT_TRUE(cv::imencode(".jpg", cv::Mat(8, 8, CV_8UC3, cv::Scalar(90, 120, 200)), jpeg));
  for (size_t i = 0; i + 8 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {  // baseline frame header: height, width
      jpeg[i + 5] = static_cast<uchar>(height >> 8);
      jpeg[i + 6] = static_cast<uchar>(height & 0xFF);
      jpeg[i + 7] = static_cast<uchar>(width >> 8);
      jpeg[i + 8] = static_cast<uchar>(width & 0xFF);
      break;
    }
  }
  const std::filesystem::path file = test::scratch_dir() / name;
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(jpeg.size()));
  return file;
}

void expect_codec_error_naming(const std::filesystem::path& file, const std::string& reason) {
  try {
    (void)read_image(file);
    ADD_FAILURE() << "no error for " << file;
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_code::codec);
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
  }
}

// Damaged headers found by fuzz_image (fuzz/regressions/fuzz_image): past OpenCV's size limit
// imgcodecs throws cv::Exception; under it, it would allocate what the header claims (2.4 GB
// for one 58-byte file) before finding the data missing.
TEST(read_image, a_jpeg_claiming_more_than_opencvs_limit_is_a_codec_error) {
  expect_codec_error_naming(jpeg_claiming(64764, 64764, "over-opencv.jpg"), "OpenCV");
}

TEST(read_image, a_jpeg_claiming_400_megapixels_is_refused_before_decoding) {
  expect_codec_error_naming(jpeg_claiming(20000, 20000, "400mp.jpg"), "20000x20000 pixels");
}

TEST(read_image, decodes_the_same_jpeg_at_its_own_size) {
  const std::filesystem::path file = jpeg_claiming(8, 8, "8x8.jpg");
  const cv::Mat image = read_image(file);
  EXPECT_EQ(image.size(), cv::Size(8, 8));
  EXPECT_EQ(image.type(), CV_8UC3);
}

// libjpeg decodes a JPEG cut short with grey rows where its data ends (a warning on stderr is
// all): such a file is refused by name. Whole JPEGs of every kind read: baseline, progressive
// (many scans), with restart markers, with bytes appended after the end marker.
TEST(read_image, a_jpeg_cut_short_is_refused_and_whole_ones_of_every_kind_read) {
  cv::Mat picture(96, 128, CV_8UC3);
  cv::randu(picture, 0, 255);
  cv::GaussianBlur(picture, picture, cv::Size(7, 7), 2.0);
  const std::filesystem::path dir = test::scratch_dir();
  const std::vector<std::pair<std::string, std::vector<int>>> kinds = {
      {"baseline", {}},
      {"progressive", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}},
      {"restarts", {cv::IMWRITE_JPEG_RST_INTERVAL, 2}},
      {"optimized", {cv::IMWRITE_JPEG_OPTIMIZE, 1, cv::IMWRITE_JPEG_QUALITY, 100}}};
  for (const auto& [kind, params] : kinds) {
    std::vector<uchar> jpeg;
    ASSERT_TRUE(cv::imencode(".jpg", picture, jpeg, params)) << kind;
    const auto write = [&](const std::string& name, size_t bytes, const std::string& tail = "") {
      std::ofstream out(dir / name, std::ios::binary);
      out.write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(bytes));
      out << tail;
      return dir / name;
    };
    EXPECT_EQ(read_image(write(kind + ".jpg", jpeg.size())).size(), picture.size()) << kind;
    EXPECT_EQ(read_image(write(kind + "_tail.jpg", jpeg.size(), "appended by a camera")).size(),
              picture.size())
        << kind;
    for (const double kept : {0.4, 0.8, 0.99}) {  // (OpenCV itself gives up on some)
      const auto bytes = static_cast<size_t>(static_cast<double>(jpeg.size()) * kept);
      expect_codec_error_naming(write(kind + "_cut.jpg", bytes), ": ");
    }
    expect_codec_error_naming(write(kind + "_no_end.jpg", jpeg.size() - 2), "a JPEG cut short");
  }
}

// A phone's photograph stored sideways and tagged to be shown upright: read as stored (as
// OpenFace reads it), and its tag told, for the CLI's and Python's warnings.
TEST(read_image, a_photographs_exif_orientation_is_read_and_its_pixels_kept_as_stored) {
  std::vector<uchar> jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", cv::Mat(40, 64, CV_8UC3, cv::Scalar(90, 120, 200)), jpeg));
  const std::filesystem::path dir = test::scratch_dir();
  for (const int orientation : {1, 3, 6, 8}) {
    const std::filesystem::path file = dir / ("o" + std::to_string(orientation) + ".jpg");
    std::ofstream(file, std::ios::binary) << test::with_exif_orientation(jpeg, orientation);
    EXPECT_EQ(exif_orientation(file), orientation);
    EXPECT_EQ(read_image(file).size(), cv::Size(64, 40)) << orientation;  // not turned
  }
  EXPECT_STREQ(describe_exif_orientation(6), "turned 90 degrees clockwise");
  EXPECT_STREQ(describe_exif_orientation(1), "");
  std::ofstream(dir / "plain.jpg", std::ios::binary)
      .write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(jpeg.size()));
  EXPECT_EQ(exif_orientation(dir / "plain.jpg"), 1);
  EXPECT_EQ(exif_orientation(dir / "absent.jpg"), 1);
}

// Every image reaches the analysis as 8-bit BGR (image_reader.h): 16-bit samples keep their high
// byte (51200 -> 200; a scale of 1/255 would give 201), grey is copied to all three channels,
// and alpha is dropped without swapping red and blue.
TEST(read_image, sixteen_bit_grey_and_bgra_become_8_bit_bgr) {
  const std::filesystem::path dir = test::scratch_dir();
  ASSERT_TRUE(cv::imwrite((dir / "16.png").string(),
                          cv::Mat(2, 3, CV_16UC3, cv::Scalar(51200, 25600, 1280))));
  EXPECT_EQ(read_image(dir / "16.png").at<cv::Vec3b>(1, 2), cv::Vec3b(200, 100, 5));
  ASSERT_TRUE(cv::imwrite((dir / "grey.png").string(), cv::Mat(2, 3, CV_8UC1, cv::Scalar(77))));
  const cv::Mat grey = read_image(dir / "grey.png");
  ASSERT_EQ(grey.type(), CV_8UC3);
  EXPECT_EQ(grey.at<cv::Vec3b>(1, 2), cv::Vec3b(77, 77, 77));
  ASSERT_TRUE(
      cv::imwrite((dir / "bgra.png").string(), cv::Mat(2, 3, CV_8UC4, cv::Scalar(10, 20, 30, 40))));
  const cv::Mat bgra = read_image(dir / "bgra.png");
  ASSERT_EQ(bgra.type(), CV_8UC3);
  EXPECT_EQ(bgra.at<cv::Vec3b>(1, 2), cv::Vec3b(10, 20, 30));
}

// Cameras and Windows tools write upper-case extensions (IMG_0001.JPG); a frame folder of them
// must not read as empty.
TEST(read_image, image_extensions_are_recognised_in_any_case) {
  EXPECT_TRUE(is_image_file("IMG_0001.JPG"));
  EXPECT_TRUE(is_image_file("scan.Tiff"));
  EXPECT_TRUE(is_image_file("face.webp"));
  EXPECT_FALSE(is_image_file("notes.txt"));
  EXPECT_FALSE(is_image_file("jpg"));
}

}  // namespace
}  // namespace facemirror
