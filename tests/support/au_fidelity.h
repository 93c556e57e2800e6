#pragma once
// Fidelity of an OpenFace-layout CSV against OpenFace 2.2's reference: the numbers that
// shared/tools/au_compare.py prints (and bench/fidelity.py tabulates), computed the same way,
// plus the success agreement and a pass/fail bar.
//
//   - Rows are matched on the `frame` column; per-AU values are taken over the frames where
//     both files report success == 1 (a file without `success` counts every row as a success).
//   - Per AU intensity column (AU*_r) of the reference that the candidate also has: Pearson r,
//     mean absolute difference, and the reference's population standard deviation. AUs whose
//     reference std is below min_std (0.05) are nearly constant, so their r is meaningless:
//     they are left out of the mean and minimum r, but kept in the mean absolute difference.
//   - Mean 2-D landmark distance (x_*, y_*) over the same frames, when both files have them.
//   - Success agreement (not in au_compare.py): the share of reference rows whose frame the
//     candidate has with the same `success` value (a missing row disagrees).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/csv_fields.h"

namespace facemirror::test {

/// A CSV as text cells (leading and trailing spaces stripped), header first.
struct csv_table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  [[nodiscard]] int column(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  }
};

inline std::string strip(std::string s) {
  s.erase(0, s.find_first_not_of(' '));
  s.erase(s.find_last_not_of(" \r") + 1);
  return s;
}

inline csv_table read_csv_table(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    throw std::runtime_error("cannot open " + file.string());
  csv_table t;
  std::string line;
  if (!std::getline(in, line))
    throw std::runtime_error(file.string() + ": empty file");
  for (auto& cell : split_fields(line))
    t.header.push_back(strip(cell));
  while (std::getline(in, line)) {
    if (strip(line).empty())
      continue;
    std::vector<std::string> row;
    for (auto& cell : split_fields(line))
      row.push_back(strip(cell));
    t.rows.push_back(std::move(row));
  }
  return t;
}

/// Python's float() on a stripped cell; nullopt for text, an empty cell or NaN.
inline std::optional<double> cell_number(const std::string& cell) {
  if (cell.empty())
    return std::nullopt;
  char* end = nullptr;
  const double x = std::strtod(cell.c_str(), &end);
  if (end != cell.c_str() + cell.size() || std::isnan(x))
    return std::nullopt;
  return x;
}

/// Pearson r as au_compare.py computes it: nullopt below 3 pairs or when either side is
/// constant.
inline std::optional<double> pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = a.size();
  if (n < 3)
    return std::nullopt;
  double ma = 0, mb = 0;
  for (double x : a)
    ma += x;
  for (double y : b)
    mb += y;
  ma /= static_cast<double>(n), mb /= static_cast<double>(n);
  double va = 0, vb = 0, cov = 0;
  for (double x : a)
    va += (x - ma) * (x - ma);
  for (double y : b)
    vb += (y - mb) * (y - mb);
  if (va == 0 || vb == 0)
    return std::nullopt;
  for (size_t i = 0; i < n; ++i)
    cov += (a[i] - ma) * (b[i] - mb);
  return cov / std::sqrt(va * vb);
}

struct au_score {
  std::string name;         // AU01_r...
  std::optional<double> r;  // nullopt: fewer than 3 frames or a constant column
  double mae = 0;
  double ref_std = 0;
  size_t n = 0;
  bool ref_varies = false;  // ref_std >= min_std
  bool in_mean = false;     // r known and the reference varies
};

struct fidelity_report {
  size_t reference_rows = 0, candidate_rows = 0, matched_rows = 0, both_success = 0;
  size_t ref_success = 0, cand_success = 0;
  std::vector<std::string> missing_au_columns;  // AU* columns of the reference the candidate lacks
  std::vector<au_score> aus;
  std::optional<double> mean_r, min_r;
  std::string min_r_au;  // the AU with min_r
  int aus_in_mean = 0;
  std::optional<double> mean_mae;
  std::optional<double> landmark_mean_px;  // nullopt: a file has no 2-D landmarks
  double success_agreement = 0;            // of the reference rows, in [0, 1]
};

inline fidelity_report compare_openface_csv(const csv_table& ref, const csv_table& cand,
                                            double min_std = 0.05) {
  const int ref_frame = ref.column("frame"), cand_frame = cand.column("frame");
  if (ref_frame < 0 || cand_frame < 0)
    throw std::runtime_error("both files need a 'frame' column");
  auto cell = [](const std::vector<std::string>& row, int col) -> const std::string& {
    static const std::string none;
    return col >= 0 && static_cast<size_t>(col) < row.size() ? row[col] : none;
  };
  auto ok = [&](const csv_table& t, const std::vector<std::string>& row) {
    const int c = t.column("success");
    if (c < 0)
      return true;
    const auto v = cell_number(cell(row, c));
    return v && *v == 1.0;
  };
  std::map<std::string, const std::vector<std::string>*> by_frame;  // the last row of a frame
  for (const auto& row : cand.rows)
    by_frame[cell(row, cand_frame)] = &row;

  fidelity_report rep;
  rep.reference_rows = ref.rows.size();
  rep.candidate_rows = cand.rows.size();
  std::vector<std::pair<const std::vector<std::string>*, const std::vector<std::string>*>> both;
  size_t agree = 0;
  for (const auto& row : ref.rows) {
    rep.ref_success += ok(ref, row);
    const auto it = by_frame.find(cell(row, ref_frame));
    if (it == by_frame.end())
      continue;
    ++rep.matched_rows;
    const bool a = ok(ref, row), b = ok(cand, *it->second);
    agree += a == b;
    if (a && b)
      both.emplace_back(&row, it->second);
  }
  for (const auto& row : cand.rows)
    rep.cand_success += ok(cand, row);
  rep.both_success = both.size();
  rep.success_agreement =
      rep.reference_rows ? static_cast<double>(agree) / static_cast<double>(rep.reference_rows) : 0;

  for (const auto& h : ref.header) {
    if (h.rfind("AU", 0) == 0 && cand.column(h) < 0)
      rep.missing_au_columns.push_back(h);
  }
  std::vector<double> rs;
  double mae_sum = 0;
  for (const auto& h : ref.header) {
    if (h.rfind("AU", 0) != 0 || h.size() < 2 || h.compare(h.size() - 2, 2, "_r") != 0)
      continue;
    const int rc = ref.column(h), cc = cand.column(h);
    if (cc < 0)
      continue;
    std::vector<double> a, b;
    for (const auto& [x, y] : both) {
      const auto u = cell_number(cell(*x, rc)), v = cell_number(cell(*y, cc));
      if (u && v)
        a.push_back(*u), b.push_back(*v);
    }
    if (a.empty())
      continue;
    au_score s;
    s.name = h;
    s.n = a.size();
    double m = 0;
    for (double x : a)
      m += x;
    m /= static_cast<double>(a.size());
    double var = 0, mae = 0;
    for (double x : a)
      var += (x - m) * (x - m);
    for (size_t i = 0; i < a.size(); ++i)
      mae += std::abs(a[i] - b[i]);
    s.ref_std = std::sqrt(var / static_cast<double>(a.size()));
    s.mae = mae / static_cast<double>(a.size());
    s.r = pearson(a, b);
    s.ref_varies = s.ref_std >= min_std;
    s.in_mean = s.r && s.ref_varies;
    if (s.in_mean) {
      rs.push_back(*s.r);
      if (!rep.min_r || *s.r < *rep.min_r)
        rep.min_r = *s.r, rep.min_r_au = h;
    }
    mae_sum += s.mae;
    rep.aus.push_back(std::move(s));
  }
  if (!rs.empty()) {
    double sum = 0;
    for (double r : rs)
      sum += r;
    rep.mean_r = sum / static_cast<double>(rs.size());
  }
  rep.aus_in_mean = static_cast<int>(rs.size());
  if (!rep.aus.empty())
    rep.mean_mae = mae_sum / static_cast<double>(rep.aus.size());

  std::vector<int> rx, ry, cx, cy;  // x_i, y_i columns of each file
  for (int i = 0; i < 68; ++i) {
    rx.push_back(ref.column("x_" + std::to_string(i)));
    ry.push_back(ref.column("y_" + std::to_string(i)));
    cx.push_back(cand.column("x_" + std::to_string(i)));
    cy.push_back(cand.column("y_" + std::to_string(i)));
  }
  const bool has_landmarks = std::none_of(rx.begin(), rx.end(), [](int c) { return c < 0; }) &&
                             std::none_of(cx.begin(), cx.end(), [](int c) { return c < 0; });
  if (has_landmarks) {
    double d = 0;
    size_t count = 0;
    for (const auto& [x, y] : both) {
      for (int i = 0; i < 68; ++i) {
        const auto xa = cell_number(cell(*x, rx[i])), ya = cell_number(cell(*x, ry[i]));
        const auto xb = cell_number(cell(*y, cx[i])), yb = cell_number(cell(*y, cy[i]));
        if (xa && ya && xb && yb) {
          d += std::hypot(*xa - *xb, *ya - *yb);
          ++count;
        }
      }
    }
    if (count > 0)
      rep.landmark_mean_px = d / static_cast<double>(count);
  }
  return rep;
}

/// The bar a video must meet (the fidelity tests hold the project's target). A video on which
/// OpenFace agrees with itself less well (shared/reference/openface22/README.md, "OpenFace
/// against itself") is held to that agreement instead: floor().
struct fidelity_bar {
  double mean_r;                 // mean per-AU r at least
  double min_r;                  // every AU in the mean at least
  double max_mae;                // AU_r mean absolute difference at most
  double max_landmark_px;        // mean 2-D landmark distance at most
  double min_success_agreement;  // share of frames with the same success at least

  /// This bar, lowered where OpenFace's agreement with itself on the video is lower.
  [[nodiscard]] fidelity_bar floor(double openface_mean_r, double openface_min_r,
                                   double openface_landmark_px) const {
    fidelity_bar b = *this;
    b.mean_r = std::min(mean_r, openface_mean_r);
    b.min_r = std::min(min_r, openface_min_r);
    b.max_landmark_px = std::max(max_landmark_px, openface_landmark_px);
    return b;
  }
};

/// Why `rep` misses `bar`, one reason per entry; empty when it meets it. Landmarks are judged
/// only when both files have them.
inline std::vector<std::string> fidelity_misses(const fidelity_report& rep,
                                                const fidelity_bar& bar) {
  std::vector<std::string> why;
  char text[200];
  if (!rep.missing_au_columns.empty()) {
    std::string cols;
    for (const auto& c : rep.missing_au_columns)
      cols += " " + c;
    why.push_back("missing AU columns:" + cols);
  }
  if (!rep.mean_r) {
    why.emplace_back("no mean r (no AU with an r whose reference varies)");
  } else if (*rep.mean_r < bar.mean_r) {
    std::snprintf(text, sizeof text, "mean r %.5f < %.4f", *rep.mean_r, bar.mean_r);
    why.emplace_back(text);
  }
  for (const auto& s : rep.aus) {
    // au_compare.py leaves an AU without r out of the mean: a column we write as a constant
    // while OpenFace's varies would pass unseen.
    if (s.ref_varies && !s.r) {
      std::snprintf(text, sizeof text, "%s constant over %zu frames (reference std %.3f)",
                    s.name.c_str(), s.n, s.ref_std);
      why.emplace_back(text);
    }
    if (s.in_mean && *s.r < bar.min_r) {
      std::snprintf(text, sizeof text, "%s r %.4f < %.3f", s.name.c_str(), *s.r, bar.min_r);
      why.emplace_back(text);
    }
  }
  if (!rep.mean_mae || *rep.mean_mae > bar.max_mae) {
    std::snprintf(text, sizeof text, "AU_r MAE %.4f > %.4f", rep.mean_mae.value_or(NAN),
                  bar.max_mae);
    why.emplace_back(text);
  }
  if (rep.landmark_mean_px && *rep.landmark_mean_px > bar.max_landmark_px) {
    std::snprintf(text, sizeof text, "landmarks %.3f px > %.3f px", *rep.landmark_mean_px,
                  bar.max_landmark_px);
    why.emplace_back(text);
  }
  if (rep.success_agreement < bar.min_success_agreement) {
    std::snprintf(text, sizeof text, "success agreement %.2f%% < %.2f%% (%zu/%zu rows succeed)",
                  100 * rep.success_agreement, 100 * bar.min_success_agreement, rep.cand_success,
                  rep.candidate_rows);
    why.emplace_back(text);
  }
  return why;
}

/// One line for logs: the numbers fidelity_misses() judges.
inline std::string fidelity_line(const std::string& name, const fidelity_report& rep) {
  char landmarks[32] = "n/a";
  if (rep.landmark_mean_px)
    std::snprintf(landmarks, sizeof landmarks, "%.3f", *rep.landmark_mean_px);
  char text[400];
  std::snprintf(text, sizeof text,
                "%-40s mean r %.4f | min r %.3f (%s) | AU_r MAE %.4f | landmarks %s px | "
                "success agreement %.2f%% | success %zu/%zu",
                name.c_str(), rep.mean_r.value_or(NAN), rep.min_r.value_or(NAN),
                rep.min_r_au.empty() ? "-" : rep.min_r_au.substr(0, 4).c_str(),
                rep.mean_mae.value_or(NAN), landmarks, 100 * rep.success_agreement,
                rep.cand_success, rep.candidate_rows);
  return text;
}

}  // namespace facemirror::test
