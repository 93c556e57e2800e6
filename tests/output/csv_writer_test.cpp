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
  r.au_intensity = {0.054, 4.999};
  r.au_presence = {1.0, 0.0};
  return r;
}

TEST(csv_writer_test, header_follows_openface_order_and_separator) {
  const std::string header = csv_header(columns_with_aus());
  ASSERT_EQ(header.back(), '\n');
  auto names = split_fields(header.substr(0, header.size() - 1));
  ASSERT_EQ(names.size(), 5u + 6 + 68 * 5 + 6 + 34 + 2 + 2);
  EXPECT_EQ(names[0], "frame");
  EXPECT_EQ(names[4], "success");
  EXPECT_EQ(names[5], "pose_Tx");
  EXPECT_EQ(names[11], "x_0");
  EXPECT_EQ(names[11 + 68], "y_0");
  EXPECT_EQ(names[11 + 68 * 4 + 67], "Z_67");
  EXPECT_EQ(names[11 + 68 * 5], "p_scale");
  EXPECT_EQ(names[11 + 68 * 5 + 6], "p_0");
  EXPECT_EQ(names[names.size() - 4], "AU01_r");
  EXPECT_EQ(names.back(), "AU28_c");
}

TEST(csv_writer_test, header_is_a_subsequence_of_the_openface_reference) {
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
  const auto ref_names = split_fields(reference);
  size_t pos = 0;
  for (const auto& name : split_fields(ours)) {
    while (pos < ref_names.size() && ref_names[pos] != name)
      ++pos;
    ASSERT_LT(pos, ref_names.size()) << name << " missing or out of order";
  }
  EXPECT_EQ(split_fields(ours).back(), ref_names.back());
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
  EXPECT_EQ(f[5], "-59.3");
  EXPECT_EQ(f[8], "-0.043");
  EXPECT_EQ(f[10], "-0.000");  // OpenFace's iostream output keeps the sign of tiny negatives
  EXPECT_EQ(f[11], "100.0");
  EXPECT_EQ(f[11 + 68 * 5], "1.303");
  EXPECT_EQ(f[11 + 68 * 5 + 4], "241.043");
  EXPECT_EQ(f[11 + 68 * 5 + 6], "-16.861");
  EXPECT_EQ(f[f.size() - 4], "0.05");
  EXPECT_EQ(f[f.size() - 3], "5.00");
  EXPECT_EQ(f[f.size() - 2], "1.00");
}

TEST(csv_writer_test, separators_match_openface_bytes) {
  std::string row;
  append_csv_row(row, sample_record(), columns_with_aus());
  EXPECT_EQ(row.rfind("42,  0,  1.367,  0.97,  1,  -59.3,", 0), 0u) << row.substr(0, 60);
  EXPECT_NE(row.find(", 0.05, 5.00, 1.00, 0.00\n"), std::string::npos);
  EXPECT_EQ(
      csv_header(columns_with_aus()).rfind("frame, face_id, timestamp, confidence, success, ", 0),
      0u);
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

TEST(csv_writer_test, rejects_records_that_do_not_match_the_columns) {
  frame_record r = sample_record();
  r.au_intensity.pop_back();
  std::string row;
  EXPECT_THROW(append_csv_row(row, r, columns_with_aus()), std::runtime_error);
}

}  // namespace
}  // namespace facemirror
