// PDM loading, shape synthesis and projection. The fit lives in pdm_fit.cpp, pose and
// camera-space geometry in pdm_pose.cpp.
#include "facemirror/landmarks/pdm.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "facemirror/error.h"

#include "landmarks/rotation.h"

namespace facemirror {
namespace {

// Reads OpenFace's matrix text format: '#' comment lines, then rows, cols, OpenCV type code,
// then rows*cols whitespace-separated values in row-major order.
class matrix_reader {
 public:
  matrix_reader(const std::filesystem::path& file, const std::string& text) : file_(file) {
    // Drop comment lines once, so the rest is a plain token stream.
    std::istringstream in(text);
    std::string line;
    std::string body;
    while (std::getline(in, line)) {
      const auto first = line.find_first_not_of(" \t\r");
      if (first != std::string::npos && line[first] == '#')
        continue;
      body += line;
      body += '\n';
    }
    body_ = std::move(body);
    pos_ = body_.c_str();
  }

  cv::Mat_<double> next(const char* what) {
    const double rows = number(what, "row count");
    const double cols = number(what, "column count");
    const double type = number(what, "type");
    if (rows < 1 || cols < 1 || rows > 1e5 || cols > 1e5 || rows != std::floor(rows) ||
        cols != std::floor(cols))
      fail(std::string(what) + ": bad size");
    if (type != CV_32F && type != CV_64F)
      fail(std::string(what) + ": unsupported type code");
    // Each value takes a digit and a separator: a header asking for more values than the rest
    // of the file can hold is corrupt, and is refused before its matrix is allocated (up to
    // 80 GB for the largest header the size check above lets through).
    const size_t left = body_.size() - static_cast<size_t>(pos_ - body_.c_str());
    if (rows * cols > static_cast<double>(left / 2 + 1))
      fail(std::string(what) + ": " + std::to_string(static_cast<long long>(rows * cols)) +
           " values announced, more than the file holds");
    cv::Mat_<double> m(static_cast<int>(rows), static_cast<int>(cols));
    for (int r = 0; r < m.rows; ++r)
      for (int c = 0; c < m.cols; ++c)
        m(r, c) = number(what, "values (file truncated?)");
    return m;
  }

  [[noreturn]] void fail(const std::string& reason) const {
    throw error(error_code::model_format, file_.string() + ": " + reason);
  }

 private:
  double number(const char* what, const char* field) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(pos_, &end);
    if (end == pos_ || errno == ERANGE || !std::isfinite(v))
      fail(std::string(what) + ": missing or malformed " + field);
    pos_ = end;
    return v;
  }

  std::filesystem::path file_;
  std::string body_;
  const char* pos_ = nullptr;
};

}  // namespace

point_distribution_model point_distribution_model::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw error(error_code::model_format, file.string() + ": cannot open PDM file");
  std::ostringstream text;
  text << in.rdbuf();
  matrix_reader reader(file, text.str());

  point_distribution_model pdm;
  pdm.mean_ = reader.next("mean shape");
  pdm.princ_comp_ = reader.next("principal components");
  pdm.eigen_values_ = reader.next("eigenvalues");
  if (pdm.eigen_values_.cols == 1)
    pdm.eigen_values_ = pdm.eigen_values_.t();

  const cv::Mat_<double>& mean = pdm.mean_;
  if (mean.cols != 1 || mean.rows != 3 * landmark_count)
    reader.fail("mean shape must be " + std::to_string(3 * landmark_count) + "x1");
  if (pdm.princ_comp_.rows != mean.rows)
    reader.fail("principal components row count mismatch");
  if (pdm.eigen_values_.rows != 1 || pdm.eigen_values_.cols != pdm.princ_comp_.cols)
    reader.fail("eigenvalue count does not match the principal components");
  for (int k = 0; k < pdm.eigen_values_.cols; ++k)
    if (!(pdm.eigen_values_(0, k) > 0))
      reader.fail("eigenvalues must be positive");

  std::vector<int> all(pdm.point_count());
  for (int i = 0; i < pdm.point_count(); ++i)
    all[i] = i;
  gram_over(pdm.princ_comp_, all, pdm.gram_);
  return pdm;
}

void point_distribution_model::gram_over(const cv::Mat_<double>& components,
                                         const std::vector<int>& points, std::vector<double>& out) {
  const int n = components.rows / 3, m = components.cols;
  const size_t mm = static_cast<size_t>(m) * m;
  out.assign(6 * mm, 0.0);
  // xx, yy, zz, then the symmetrised cross terms xy+yx, xz+zx, yz+zy.
  static constexpr int pairs[6][2] = {{0, 0}, {1, 1}, {2, 2}, {0, 1}, {0, 2}, {1, 2}};
  for (int q = 0; q < 6; ++q) {
    double* g = out.data() + q * mm;
    const int a = pairs[q][0], b = pairs[q][1];
    for (int i : points) {
      const double* va = components[a * n + i];
      const double* vb = components[b * n + i];
      for (int k = 0; k < m; ++k)
        for (int l = 0; l < m; ++l)
          g[k * m + l] += va[k] * vb[l] + (a != b ? vb[k] * va[l] : 0.0);
    }
  }
}

cv::Mat_<double> point_distribution_model::shape_variation(const std::vector<double>& local) const {
  const int m = mode_count();
  cv::Mat_<double> out(mean_.rows, 1, 0.0);
  if (local.empty())
    return out;
  FACEMIRROR_CHECK(static_cast<int>(local.size()) == m, "pdm: local parameter count mismatch");
  for (int r = 0; r < mean_.rows; ++r) {
    const double* v = princ_comp_[r];
    double sum = 0.0;
    for (int k = 0; k < m; ++k)
      sum += v[k] * local[k];
    out(r, 0) = sum;
  }
  return out;
}

cv::Mat_<double> point_distribution_model::shape_3d(const std::vector<double>& local) const {
  cv::Mat_<double> out = shape_variation(local);
  out += mean_;
  return out;
}

landmarks_2d point_distribution_model::project(const pdm_params& params) const {
  FACEMIRROR_CHECK(point_count() == landmark_count, "pdm: project needs a 68-point model");
  const cv::Mat_<double> shape = shape_3d(params.local);
  const cv::Matx33d r = detail::euler_to_rotation({params.rx, params.ry, params.rz});
  const int n = point_count();
  landmarks_2d out{};
  for (int i = 0; i < n; ++i) {
    const double x = shape(i, 0), y = shape(n + i, 0), z = shape(2 * n + i, 0);
    out[i].x = params.scale * (r(0, 0) * x + r(0, 1) * y + r(0, 2) * z) + params.tx;
    out[i].y = params.scale * (r(1, 0) * x + r(1, 1) * y + r(1, 2) * z) + params.ty;
  }
  return out;
}

}  // namespace facemirror
