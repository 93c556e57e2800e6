#pragma once
// OpenFace 2.2's CSVs (the reference outputs in shared/reference/openface22) in tests: every
// cell as a number, looked up by row and column name.

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facemirror/landmarks/pdm.h"
#include "facemirror/types.h"

#include "support/csv_fields.h"

namespace facemirror::test {

class reference_csv {
 public:
  explicit reference_csv(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in)
      throw std::runtime_error("cannot open " + file.string());
    std::string line;
    std::getline(in, line);
    const auto names = split_fields(line);
    for (size_t i = 0; i < names.size(); ++i)
      column_[names[i]] = i;
    while (std::getline(in, line)) {
      std::vector<double> row;
      for (const auto& cell : split_fields(line))
        row.push_back(std::atof(cell.c_str()));
      rows_.push_back(std::move(row));
    }
  }

  [[nodiscard]] size_t rows() const { return rows_.size(); }
  [[nodiscard]] double at(size_t row, const std::string& name) const {
    return rows_.at(row).at(column_.at(name));
  }
  /// x_0..x_67, y_0..y_67.
  [[nodiscard]] landmarks_2d landmarks(size_t row) const {
    landmarks_2d lm{};
    for (int i = 0; i < landmark_count; ++i)
      lm[i] = {at(row, "x_" + std::to_string(i)), at(row, "y_" + std::to_string(i))};
    return lm;
  }
  /// p_scale, p_rx.., p_tx, p_ty and the first `modes` of p_0, p_1...
  [[nodiscard]] pdm_params params(size_t row, int modes) const {
    pdm_params p;
    p.scale = at(row, "p_scale");
    p.rx = at(row, "p_rx"), p.ry = at(row, "p_ry"), p.rz = at(row, "p_rz");
    p.tx = at(row, "p_tx"), p.ty = at(row, "p_ty");
    for (int k = 0; k < modes; ++k)
      p.local.push_back(at(row, "p_" + std::to_string(k)));
    return p;
  }
  /// The head rotation of the landmark fit: p_rx, p_ry, p_rz.
  [[nodiscard]] cv::Vec3d rotation(size_t row) const {
    return {at(row, "p_rx"), at(row, "p_ry"), at(row, "p_rz")};
  }

 private:
  std::map<std::string, size_t> column_;
  std::vector<std::vector<double>> rows_;
};

}  // namespace facemirror::test
