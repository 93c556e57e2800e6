// The fidelity metrics of tests/support/au_fidelity.h (au_compare.py's numbers, the success
// agreement and the bar) on synthetic OpenFace-layout tables.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/au_fidelity.h"

namespace facemirror::test {
namespace {

constexpr int frames = 40;

// The project's target (tests/fidelity/fidelity_test.cpp).
const fidelity_bar target{0.98, 0.93, 0.03, 0.05, 0.99};

// A table shaped like OpenFace's: frame, success, three AU intensities, one presence, 68
// landmarks. AU01_r and AU02_r vary, AU45_r is nearly constant (std 0.01).
csv_table synthetic() {
  csv_table t;
  t.header = {"frame", "face_id", "success", "AU01_r", "AU02_r", "AU45_r", "AU01_c"};
  for (int i = 0; i < 68; ++i)
    t.header.push_back("x_" + std::to_string(i));
  for (int i = 0; i < 68; ++i)
    t.header.push_back("y_" + std::to_string(i));
  for (int f = 1; f <= frames; ++f) {
    std::vector<std::string> row = {std::to_string(f), "0", "1"};
    row.push_back(std::to_string(1.0 + std::sin(0.3 * f)));
    row.push_back(std::to_string(0.5 + 0.5 * std::cos(0.7 * f)));
    row.push_back(f % 2 ? "0.01" : "0.03");
    row.push_back(std::sin(0.3 * f) > 0 ? "1" : "0");
    for (int i = 0; i < 136; ++i)
      row.push_back(std::to_string(100.0 + i + 0.1 * f));
    t.rows.push_back(std::move(row));
  }
  return t;
}

fidelity_bar landmarks_within(double px) {
  fidelity_bar bar = target;
  bar.max_landmark_px = px;
  return bar;
}

void set(csv_table& t, int row, const std::string& column, const std::string& value) {
  t.rows.at(row).at(t.column(column)) = value;
}

TEST(fidelity_metric, a_perfect_copy_scores_one_and_meets_the_bar) {
  const csv_table ref = synthetic();
  const fidelity_report rep = compare_openface_csv(ref, ref);
  EXPECT_EQ(rep.reference_rows, static_cast<size_t>(frames));
  EXPECT_EQ(rep.matched_rows, static_cast<size_t>(frames));
  EXPECT_EQ(rep.both_success, static_cast<size_t>(frames));
  ASSERT_EQ(rep.aus.size(), 3u);  // AU*_r only
  EXPECT_EQ(rep.aus_in_mean, 2);  // AU45_r is nearly constant: out of the mean
  EXPECT_FALSE(rep.aus[2].in_mean);
  EXPECT_NEAR(rep.aus[2].ref_std, 0.01, 1e-12);
  ASSERT_TRUE(rep.mean_r && rep.min_r);
  EXPECT_NEAR(*rep.mean_r, 1.0, 1e-12);
  EXPECT_NEAR(*rep.min_r, 1.0, 1e-12);
  EXPECT_EQ(*rep.mean_mae, 0.0);
  ASSERT_TRUE(rep.landmark_mean_px);
  EXPECT_EQ(*rep.landmark_mean_px, 0.0);
  EXPECT_EQ(rep.success_agreement, 1.0);
  EXPECT_TRUE(fidelity_misses(rep, target).empty());
}

TEST(fidelity_metric, a_constant_au_fails_the_bar) {
  const csv_table ref = synthetic();
  csv_table cand = ref;
  for (int f = 0; f < frames; ++f)
    set(cand, f, "AU02_r", "0.5");
  const fidelity_report rep = compare_openface_csv(ref, cand);
  // A constant candidate column has no r (au_compare.py's None), so au_compare.py leaves it
  // out of the mean, which is then AU01_r's alone (1.0): the bar names it instead.
  EXPECT_FALSE(rep.aus[1].r.has_value());
  EXPECT_TRUE(rep.aus[1].ref_varies);
  EXPECT_EQ(rep.aus_in_mean, 1);
  EXPECT_NEAR(*rep.mean_r, 1.0, 1e-12);
  const auto why = fidelity_misses(rep, target);
  ASSERT_EQ(why.size(), 2u);
  EXPECT_NE(why[0].find("AU02_r constant"), std::string::npos) << why[0];
  EXPECT_NE(why[1].find("AU_r MAE"), std::string::npos) << why[1];

  for (int f = 0; f < frames; ++f)
    set(cand, f, "AU01_r", "1.0");
  const auto none = fidelity_misses(compare_openface_csv(ref, cand), target);
  ASSERT_FALSE(none.empty());
  EXPECT_NE(none[0].find("no mean r"), std::string::npos) << none[0];
}

TEST(fidelity_metric, a_noisy_au_lowers_its_r_and_the_mean) {
  const csv_table ref = synthetic();
  csv_table cand = ref;
  for (int f = 0; f < frames; ++f)  // half the signal's amplitude, alternating
    set(cand, f, "AU01_r", std::to_string(1.0 + std::sin(0.3 * (f + 1)) + (f % 2 ? 0.35 : -0.35)));
  const fidelity_report rep = compare_openface_csv(ref, cand);
  ASSERT_TRUE(rep.aus[0].r);
  EXPECT_LT(*rep.aus[0].r, 0.93);
  EXPECT_GT(*rep.aus[0].r, 0.8);
  EXPECT_NEAR(rep.aus[0].mae, 0.35, 1e-5);
  EXPECT_NEAR(*rep.mean_r, (*rep.aus[0].r + 1.0) / 2, 1e-12);
  EXPECT_EQ(rep.min_r_au, "AU01_r");
  EXPECT_NEAR(*rep.mean_mae, 0.35 / 3, 1e-5);  // over all three AUs, the constant one included
  const auto why = fidelity_misses(rep, target);
  ASSERT_EQ(why.size(), 3u);
  EXPECT_NE(why[0].find("mean r"), std::string::npos);
  EXPECT_NE(why[1].find("AU01_r r"), std::string::npos);
  EXPECT_NE(why[2].find("AU_r MAE"), std::string::npos);
  // A floor below the measured values (OpenFace against itself on a hard video) lets it pass
  // on r; the MAE bar stays.
  const auto floored = fidelity_misses(rep, target.floor(0.5, 0.5, 0.0));
  ASSERT_EQ(floored.size(), 1u);
  EXPECT_NE(floored[0].find("AU_r MAE"), std::string::npos);
}

// Pearson r against a value computed independently (numpy.corrcoef).
TEST(fidelity_metric, pearson_matches_a_known_value) {
  const auto r = pearson({1, 2, 3, 4, 5}, {2, 1, 4, 3, 5});
  ASSERT_TRUE(r);
  EXPECT_NEAR(*r, 0.8, 1e-12);
  EXPECT_FALSE(pearson({1, 2}, {1, 2}));        // fewer than 3
  EXPECT_FALSE(pearson({1, 2, 3}, {4, 4, 4}));  // constant
}

TEST(fidelity_metric, success_disagreement_and_missing_rows) {
  const csv_table ref = synthetic();
  csv_table cand = ref;
  set(cand, 3, "success", "0");
  cand.rows.pop_back();  // the last frame is missing
  const fidelity_report rep = compare_openface_csv(ref, cand);
  EXPECT_EQ(rep.matched_rows, static_cast<size_t>(frames - 1));
  EXPECT_EQ(rep.both_success, static_cast<size_t>(frames - 2));
  EXPECT_EQ(rep.cand_success, static_cast<size_t>(frames - 2));
  EXPECT_DOUBLE_EQ(rep.success_agreement, (frames - 2.0) / frames);
  // Per-AU values only over frames where both succeed: the failed frame's AUs don't count.
  set(cand, 3, "AU01_r", "99");
  EXPECT_NEAR(*compare_openface_csv(ref, cand).mean_r, 1.0, 1e-12);
  const auto why = fidelity_misses(rep, target);
  ASSERT_EQ(why.size(), 1u);
  EXPECT_NE(why[0].find("success agreement 95.00%"), std::string::npos) << why[0];
}

TEST(fidelity_metric, landmark_distance_and_missing_columns) {
  const csv_table ref = synthetic();
  csv_table cand = ref;
  for (int f = 0; f < frames; ++f) {
    for (int i = 0; i < 68; ++i) {  // every point moved by (0.03, 0.04): 0.05 px
      const std::string x = "x_" + std::to_string(i), y = "y_" + std::to_string(i);
      set(cand, f, x, std::to_string(std::stod(ref.rows[f][ref.column(x)]) + 0.03));
      set(cand, f, y, std::to_string(std::stod(ref.rows[f][ref.column(y)]) + 0.04));
    }
  }
  fidelity_report rep = compare_openface_csv(ref, cand);
  ASSERT_TRUE(rep.landmark_mean_px);
  EXPECT_NEAR(*rep.landmark_mean_px, 0.05, 1e-5);
  EXPECT_EQ(fidelity_misses(rep, landmarks_within(0.04)).size(), 1u);
  EXPECT_TRUE(fidelity_misses(rep, landmarks_within(0.04).floor(1, 1, 0.06)).empty());

  // Without landmarks (the au_static references) there is no distance; a missing AU column
  // is a miss of its own.
  csv_table aus_only = ref;
  aus_only.header.resize(6);  // drops AU01_c and the landmarks
  for (auto& row : aus_only.rows)
    row.resize(6);
  rep = compare_openface_csv(ref, aus_only);
  EXPECT_FALSE(rep.landmark_mean_px);
  ASSERT_EQ(rep.missing_au_columns, std::vector<std::string>{"AU01_c"});
  EXPECT_NE(fidelity_misses(rep, target)[0].find("AU01_c"), std::string::npos);
}

// Reading OpenFace's ", " separators and the header's spaces.
TEST(fidelity_metric, reads_openface_csv_text) {
  const auto dir = std::filesystem::temp_directory_path() / "fidelity_metric_test";
  std::filesystem::create_directories(dir);
  const auto file = dir / "t.csv";
  std::ofstream(file) << "frame, face_id, success, AU01_r\n1, 0, 1, 0.5\n2, 0, 0, nan\n\n";
  const csv_table t = read_csv_table(file);
  EXPECT_EQ(t.header, (std::vector<std::string>{"frame", "face_id", "success", "AU01_r"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][3], "0.5");
  EXPECT_EQ(cell_number(t.rows[0][3]), 0.5);
  EXPECT_FALSE(cell_number(t.rows[1][3]));  // NaN
  EXPECT_FALSE(cell_number("abc"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace facemirror::test
