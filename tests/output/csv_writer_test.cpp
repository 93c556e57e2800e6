#include "facemirror/output/csv_writer.h"

#include <clocale>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/csv_fields.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

using test::split_fields;

// The gaze block (gaze_0/1 vectors, two angles, 56 eye landmarks in 2-D and 3-D) comes first.
constexpr size_t pose_at = 5 + 8 + eye_landmark_count * 5;

csv_columns columns_with_aus() {
  csv_columns c;
  c.au_intensity_names = {"AU01", "AU45"};
  c.au_presence_names = {"AU01", "AU28"};
  return c;
}

frame_record sample_record() {
  frame_record r;
  r.index = 41;
  r.timestamp_s = 1.3666666;
  r.confidence = 0.975;
  r.success = true;
  r.pose = {-59.34, 12.0, 480.26, -0.0431, 0.25, -0.0004};
  for (int i = 0; i < landmark_count; ++i) {
    r.landmarks[i] = {100.0 + i + 0.04, 200.0 - i};
    r.landmarks_mm[i] = {-1.0 * i, 2.0 * i, 400.0 + i};
  }
  r.params.scale = 1.30349;
  r.params.tx = 241.0434;
  r.params.local.assign(34, -0.0004);
  r.params.local[0] = -16.8614;
  r.eyes.gaze.eye_0 = {0.2528904, 0.0961749, -0.9627031};
  r.eyes.gaze.eye_1 = {0.052567, 0.094054, -0.994178};
  r.eyes.gaze.angle_x = 0.15549;
  r.eyes.gaze.angle_y = -0.0974;
  for (int i = 0; i < eye_landmark_count; ++i) {
    r.eyes.landmarks[i] = {191.54 + i, 271.26 - i};
    r.eyes.landmarks_mm[i] = {-24.36, -13.24 + i, 326.94};
  }
  r.au_intensity = {0.054, 4.999};
  r.au_presence = {1.0, 0.0};
  return r;
}

TEST(csv_writer_test, header_follows_openface_order_and_separator) {
  const std::string header = csv_header(columns_with_aus());
  ASSERT_EQ(header.back(), '\n');
  auto names = split_fields(header.substr(0, header.size() - 1));
  ASSERT_EQ(names.size(), pose_at + 6 + 68 * 5 + 6 + 34 + 2 + 2);
  EXPECT_EQ(names[0], "frame");
  EXPECT_EQ(names[4], "success");
  EXPECT_EQ(names[5], "gaze_0_x");
  EXPECT_EQ(names[12], "gaze_angle_y");
  EXPECT_EQ(names[13], "eye_lmk_x_0");
  EXPECT_EQ(names[13 + 56 * 4 + 55], "eye_lmk_Z_55");
  EXPECT_EQ(names[pose_at], "pose_Tx");
  EXPECT_EQ(names[pose_at + 6], "x_0");
  EXPECT_EQ(names[pose_at + 6 + 68], "y_0");
  EXPECT_EQ(names[pose_at + 6 + 68 * 4 + 67], "Z_67");
  EXPECT_EQ(names[pose_at + 6 + 68 * 5], "p_scale");
  EXPECT_EQ(names[pose_at + 6 + 68 * 5 + 6], "p_0");
  EXPECT_EQ(names[names.size() - 4], "AU01_r");
  EXPECT_EQ(names.back(), "AU28_c");
}

TEST(csv_writer_test, header_equals_the_openface_reference) {
  FACEMIRROR_REQUIRE_SHARED();
  std::ifstream in(*test::shared_dir() / "reference/openface22/default.csv");
  std::string reference;
  std::getline(in, reference);
  csv_columns c;
  c.au_intensity_names = {"AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12",
                          "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU45"};
  c.au_presence_names = c.au_intensity_names;
  c.au_presence_names.insert(c.au_presence_names.end() - 1, "AU28");
  std::string ours = csv_header(c);
  ours.pop_back();
  EXPECT_EQ(ours, reference);
  EXPECT_EQ(split_fields(ours).size(), 714u);
}

TEST(csv_writer_test, row_uses_one_based_frames_and_openface_precision) {
  std::string row;
  append_csv_row(row, sample_record(), columns_with_aus());
  ASSERT_EQ(row.back(), '\n');
  auto f = split_fields(row.substr(0, row.size() - 1));
  ASSERT_EQ(f.size(), split_fields(csv_header(columns_with_aus())).size());
  EXPECT_EQ(f[0], "42");
  EXPECT_EQ(f[1], "0");
  EXPECT_EQ(f[2], "1.367");
  EXPECT_EQ(f[3], "0.97");  // 0.975 is 0.97499.. in binary: rounds down, as printf does
  EXPECT_EQ(f[4], "1");
  EXPECT_EQ(f[5], "0.252890");  // gaze vectors: 6 decimals
  EXPECT_EQ(f[7], "-0.962703");
  EXPECT_EQ(f[11], "0.155");  // gaze angles: 3
  EXPECT_EQ(f[12], "-0.097");
  EXPECT_EQ(f[13], "191.5");  // eye landmarks: 1, in 2-D and 3-D
  EXPECT_EQ(f[13 + 56], "271.3");
  EXPECT_EQ(f[13 + 56 * 2], "-24.4");
  EXPECT_EQ(f[13 + 56 * 4], "326.9");
  EXPECT_EQ(f[pose_at], "-59.3");
  EXPECT_EQ(f[pose_at + 3], "-0.043");
  EXPECT_EQ(f[pose_at + 5],
            "-0.000");  // OpenFace's iostream output keeps the sign of tiny negatives
  EXPECT_EQ(f[pose_at + 6], "100.0");
  EXPECT_EQ(f[pose_at + 6 + 68 * 5], "1.303");
  EXPECT_EQ(f[pose_at + 6 + 68 * 5 + 4], "241.043");
  EXPECT_EQ(f[pose_at + 6 + 68 * 5 + 6], "-16.861");
  EXPECT_EQ(f[f.size() - 4], "0.05");
  EXPECT_EQ(f[f.size() - 3], "5.00");
  EXPECT_EQ(f[f.size() - 2], "1.00");
}

TEST(csv_writer_test, separators_match_openface_bytes) {
  std::string row;
  append_csv_row(row, sample_record(), columns_with_aus());
  EXPECT_EQ(row.rfind("42,  0,  1.367,  0.97,  1,  0.252890,", 0), 0u) << row.substr(0, 60);
  EXPECT_NE(row.find(",  326.9,  -59.3,  12.0,  480.3,  -0.043,"), std::string::npos);
  EXPECT_NE(row.find(", 0.05, 5.00, 1.00, 0.00\n"), std::string::npos);
  EXPECT_EQ(
      csv_header(columns_with_aus()).rfind("frame, face_id, timestamp, confidence, success, ", 0),
      0u);
}

// FaceLandmarkVidMulti's rows: the tracker's face_id, every field separated by ", ",
// presences with one decimal (reference/openface22/FaceLandmarkVidMulti/multi_face.csv).
TEST(csv_writer_test, multi_face_rows_carry_the_face_id_in_face_landmark_vid_multis_text) {
  csv_columns multi = columns_with_aus();
  multi.layout = csv_layout::multi_face_video;
  multi.outputs = csv_outputs::parse("aus");
  frame_record r = sample_record();
  r.face_id = 3;
  std::string row;
  append_csv_row(row, r, multi);
  EXPECT_EQ(row, "42, 3, 1.367, 0.97, 1, 0.05, 5.00, 1.0, 0.0\n");
  csv_columns single = multi;
  single.layout = csv_layout::video;
  EXPECT_EQ(csv_header(multi), csv_header(single));  // FeatureExtraction's column names
}

TEST(csv_writer_test, decimal_point_ignores_the_process_locale) {
  const char* german = std::setlocale(LC_ALL, "de_DE.UTF-8");
  if (german == nullptr)
    german = std::setlocale(LC_ALL, "C.UTF-8");
  std::string row;
  append_csv_row(row, sample_record(), columns_with_aus());
  std::setlocale(LC_ALL, "C");
  EXPECT_NE(row.find("1.367"), std::string::npos);
  EXPECT_EQ(row.find("1,367"), std::string::npos);
}

// OpenFace's output selectors: each group alone, in OpenFace's order; -aus alone keeps only the
// five leading columns and the AUs.
TEST(csv_writer_test, output_selectors_keep_only_the_selected_groups) {
  csv_columns aus_only = columns_with_aus();
  aus_only.outputs = csv_outputs::parse("aus");
  EXPECT_EQ(csv_header(aus_only),
            "frame, face_id, timestamp, confidence, success, AU01_r, AU45_r, AU01_c, AU28_c\n");
  std::string row;
  append_csv_row(row, sample_record(), aus_only);
  EXPECT_EQ(row, "42,  0,  1.367,  0.97,  1, 0.05, 5.00, 1.00, 0.00\n");

  csv_columns pose_gaze = columns_with_aus();
  pose_gaze.outputs = csv_outputs::parse("pose,gaze");  // any order: OpenFace's column order
  const auto names = split_fields(csv_header(pose_gaze));
  ASSERT_EQ(names.size(), pose_at + 6);
  EXPECT_EQ(names[5], "gaze_0_x");
  EXPECT_EQ(names.back(), "pose_Rz\n");
  row.clear();
  append_csv_row(row, sample_record(), pose_gaze);
  EXPECT_EQ(split_fields(row).size(), names.size());
  // Without AU columns FeatureExtraction never rewrites its CSV after post-processing: every
  // field keeps RecorderCSV's ", " (as FaceLandmarkVidMulti's, which is never rewritten).
  EXPECT_EQ(row.rfind("42, 0, 1.367, 0.97, 1, 0.252890, ", 0), 0u) << row.substr(0, 60);
  EXPECT_EQ(row.find(",  "), std::string::npos);

  csv_columns shape = columns_with_aus();
  shape.outputs = csv_outputs::parse("2Dfp,3Dfp,pdmparams");
  const auto shape_names = split_fields(csv_header(shape));
  ASSERT_EQ(shape_names.size(), 5u + 68 * 5 + 6 + 34);
  EXPECT_EQ(shape_names[5], "x_0");
  EXPECT_EQ(shape_names[5 + 68 * 2], "X_0");
  EXPECT_EQ(shape_names[5 + 68 * 5], "p_scale");
}

TEST(csv_writer_test, output_selector_lists_parse_and_reject_unknown_names) {
  EXPECT_EQ(csv_outputs::parse("all"), csv_outputs{});
  EXPECT_EQ(csv_outputs::parse("2Dfp,3Dfp,pdmparams,pose,aus,gaze"), csv_outputs{});
  EXPECT_EQ(csv_outputs{}.to_string(), "gaze,pose,2Dfp,3Dfp,pdmparams,aus");
  const csv_outputs two = csv_outputs::parse("aus,2Dfp");
  EXPECT_TRUE(two.aus && two.landmarks_2d);
  EXPECT_FALSE(two.gaze || two.pose || two.landmarks_3d || two.pdm_params);
  EXPECT_EQ(csv_outputs::parse(two.to_string()), two);
  try {
    (void)csv_outputs::parse("aus,hog");
    ADD_FAILURE() << "an unknown output was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("'hog'"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)csv_outputs::parse(""), std::exception);
  EXPECT_THROW((void)csv_outputs::parse("aus,"), std::exception);
  const csv_outputs none = csv_outputs::parse("none");
  EXPECT_FALSE(none.gaze || none.pose || none.landmarks_2d || none.landmarks_3d ||
               none.pdm_params || none.aus);
  EXPECT_EQ(none.to_string(), "none");
  EXPECT_EQ(csv_outputs::parse(none.to_string()), none);
}

TEST(csv_writer_test, rejects_records_that_do_not_match_the_columns) {
  frame_record r = sample_record();
  r.au_intensity.pop_back();
  std::string row;
  EXPECT_THROW(append_csv_row(row, r, columns_with_aus()), std::runtime_error);
}

}  // namespace
}  // namespace facemirror
