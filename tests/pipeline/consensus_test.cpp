// write_median_csv (src/pipeline/consensus.h) on small CSVs written here: which draw's cell each
// merged cell is, the exact mean of an even count, and what it refuses. engine_test runs the
// whole consensus on a real video.
#include "consensus.h"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "facemirror/error.h"

#include "support/test_data.h"

namespace facemirror::detail {
namespace {

namespace fs = std::filesystem;

// The writer's layout: ", " between cells, a header of OpenFace's column names.
const std::string header = "frame, face_id, confidence, success, x_0, p_rx, AU01_r, AU01_c\n";

fs::path write(const fs::path& dir, const std::string& name, const std::string& rows) {
  const fs::path file = dir / name;
  std::ofstream(file, std::ios::binary) << header << rows;
  return file;
}

struct merge_result {
  std::string rows;  // the merged CSV without its header
  int64_t successful = 0;
};

// Writes one CSV per entry of `draws` (its rows under `header`), merges them, returns the result.
merge_result merged(const std::vector<std::string>& draws) {
  const fs::path dir = test::scratch_dir();
  std::vector<fs::path> files;
  for (const std::string& rows : draws)
    files.push_back(write(dir, "draw" + std::to_string(files.size()) + ".csv", rows));
  const merged_csv counts = write_median_csv(files, dir / "merged.csv");
  const std::string text = test::read_file(dir / "merged.csv");
  EXPECT_EQ(text.substr(0, header.size()), header);
  return {text.substr(header.size()), counts.successful};
}

TEST(write_median_csv, an_odd_count_copies_the_middle_draws_cell_and_counts_its_success) {
  const merge_result m =
      merged({"1, 0, 0.98, 1, 345.6, -0.020, 0.25, 1.00\n2, 0, 0.50, 0, 1.0, 0.0, 0, 0\n",
              "1, 0, 0.97, 1, 345.8, -0.0130, 0.30, 0.00\n2, 0, 0.40, 1, 2.0, 0.0, 1, 1\n",
              "1, 0, 0.99, 0, 345.7, -0.013, 0.20, 1.00\n2, 0, 0.45, 0, 3.0, -0.00, 2, 1\n"});
  // Each cell as its middle draw wrote it, equal values in draw order (the second draw's -0.0130
  // before the third's -0.013, so the second's text), 0/1 cells by majority.
  EXPECT_EQ(m.rows,
            "1, 0, 0.98, 1, 345.7, -0.0130, 0.25, 1.00\n"
            "2, 0, 0.45, 0, 2.0, 0.0, 1, 1\n");
  EXPECT_EQ(m.successful, 1);
}

TEST(write_median_csv, two_draws_give_the_exact_mean_and_the_first_draws_zero_one_cells) {
  const merge_result m =
      merged({"1, 0, 0.98, 1, 345.6, -0.030, 0.13, 1.00\n2, 0, 0.50, 0, -0.05, 7, 0, 0\n",
              "1, 0, 0.97, 0, 345.8, -0.045, 0.20, 0.00\n2, 0, 0.50, 1, 0.05, 8, 1, 1\n"});
  // Means at the cells' precision, one digit more where the sum is odd; nothing rounded (0.165,
  // -0.0375, 7.5). The success and AU01_c cells are the first draw's, agree or not.
  EXPECT_EQ(m.rows,
            "1, 0, 0.975, 1, 345.7, -0.0375, 0.165, 1.00\n"
            "2, 0, 0.50, 0, 0.00, 7.5, 0.5, 0\n");
  EXPECT_EQ(m.successful, 1);
}

TEST(write_median_csv, four_draws_give_the_mean_of_the_two_middle_ones) {
  const merge_result m = merged({"1, 0, 0.90, 1, 10.0, 0.1, 0.40, 0\n",    // a
                                 "1, 0, 0.10, 0, 10.4, 0.9, 0.00, 1\n",    // b
                                 "1, 0, 0.30, 1, 10.1, 0.3, 0.10, 1\n",    // c
                                 "1, 0, 0.20, 0, 10.2, 0.5, 0.30, 0\n"});  // d
  // 0/1 cells: of the two middle draws (sorted by value, ties in draw order), the earlier.
  // success 1,0,1,0 sorts b d a c: middle d and a, so a's 1; AU01_c 0,1,1,0 sorts a d b c:
  // middle d and b, so b's 1.
  EXPECT_EQ(m.rows, "1, 0, 0.25, 1, 10.15, 0.4, 0.20, 1\n");
}

TEST(write_median_csv, refuses_draws_that_do_not_line_up_and_writes_nothing) {
  const fs::path dir = test::scratch_dir();
  const fs::path good = write(dir, "a.csv", "1, 0, 0.98, 1, 345.6, -0.03, 0.13, 1.00\n");
  const auto refusal = [&](const std::vector<fs::path>& draws) -> std::string {
    try {
      write_median_csv(draws, dir / "out.csv");
    } catch (const error& e) {
      EXPECT_EQ(e.code(), error_code::internal) << e.what();
      EXPECT_FALSE(fs::exists(dir / "out.csv"));
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
  };
  const fs::path other_frame = write(dir, "frame.csv", "2, 0, 0.98, 1, 345.6, -0.03, 0.13, 1.00\n");
  EXPECT_NE(refusal({good, other_frame}).find("another frame"), std::string::npos);
  const fs::path short_row = write(dir, "short.csv", "1, 0, 0.98, 1, 345.6, -0.03, 0.13\n");
  EXPECT_NE(refusal({good, short_row})
                .find("'" + short_row.string() + "': line 2: has another number of cells"),
            std::string::npos);
  const fs::path two_rows = write(dir, "two.csv",
                                  "1, 0, 0.98, 1, 345.6, -0.03, 0.13, 1.00\n"
                                  "2, 0, 0.98, 1, 345.6, -0.03, 0.13, 1.00\n");
  EXPECT_NE(refusal({two_rows, good}).find("'" + good.string() + "': line 3: ends before"),
            std::string::npos);
  // A mean is exact only on fixed-point cells, as this project writes them.
  const fs::path exponent = write(dir, "exp.csv", "1, 0, 0.98, 1, 345.6, -3e-2, 0.13, 1.00\n");
  EXPECT_NE(refusal({good, exponent}).find("'-3e-2' is not a number with at most 9 decimals"),
            std::string::npos);
  const fs::path ten_decimals =
      write(dir, "ten.csv", "1, 0, 0.98, 1, 345.6, -0.0300000001, 0.13, 1.00\n");
  EXPECT_NE(refusal({good, ten_decimals}).find("at most 9 decimals"), std::string::npos);
  const fs::path text = write(dir, "text.csv", "1, 0, 0.98, 1, abc, -0.03, 0.13, 1.00\n");
  EXPECT_NE(refusal({good, text, good}).find("'abc' is not a number"), std::string::npos);
}

// The draws start 0, +1, -1, +2, -2 ulps from OpenFace's own: spread evenly, none twice.
TEST(consensus_offset_ulps, alternates_around_zero) {
  EXPECT_EQ(consensus_offset_ulps(0), 0);
  EXPECT_EQ(consensus_offset_ulps(1), 1);
  EXPECT_EQ(consensus_offset_ulps(2), -1);
  EXPECT_EQ(consensus_offset_ulps(3), 2);
  EXPECT_EQ(consensus_offset_ulps(4), -2);
}

}  // namespace
}  // namespace facemirror::detail
