// Parsing of OpenFace's binary linear AU models and AU list files.
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>

#include <opencv2/core.hpp>

#include "facemirror/au/linear_model.h"
#include "facemirror/error.h"

#include "core/model_file.h"

namespace facemirror {
namespace {

// A matrix of OpenFace's AU model as a flat vector, with the shape the model needs.
std::vector<double> read_vector(detail::model_file& r, const char* what, int expect_rows,
                                int expect_cols) {
  const cv::Mat m = r.mat_as_stored(what);
  if (m.rows < 1 || m.cols < 1)
    r.fail(std::string(what) + ": bad matrix size " + std::to_string(m.rows) + "x" +
           std::to_string(m.cols));
  if ((expect_rows > 0 && m.rows != expect_rows) || (expect_cols > 0 && m.cols != expect_cols))
    r.fail(std::string(what) + ": unexpected matrix shape " + std::to_string(m.rows) + "x" +
           std::to_string(m.cols));
  if (m.type() != CV_64F && m.type() != CV_32F)
    r.fail(std::string(what) + ": unsupported element type " + std::to_string(m.type()));
  cv::Mat_<double> values;
  m.convertTo(values, CV_64F);
  std::vector<double> out(values.begin(), values.end());
  for (double v : out)
    if (!std::isfinite(v))
      r.fail(std::string(what) + ": non-finite value");
  return out;
}

}  // namespace

linear_au_model read_linear_au_model(const std::filesystem::path& file, std::string au) {
  detail::model_file r(file);

  linear_au_model m;
  m.au = std::move(au);
  const auto tag = r.i32("type tag");
  switch (tag) {
    case 0:
      m.kind = linear_model_kind::svr_static;
      break;
    case 1:
      m.kind = linear_model_kind::svr_dynamic;
      break;
    case 4:
      m.kind = linear_model_kind::svm_static;
      break;
    case 5:
      m.kind = linear_model_kind::svm_dynamic;
      break;
    default:
      r.fail("unsupported model type tag " + std::to_string(tag));
  }
  if (m.kind == linear_model_kind::svr_dynamic) {
    m.cutoff = r.f64("cutoff");
    if (!std::isfinite(m.cutoff) || m.cutoff > 1.0)
      r.fail("bad cutoff");
  }
  m.means = read_vector(r, "means", 1, -1);
  m.weights = read_vector(r, "weights", static_cast<int>(m.means.size()), 1);
  m.bias = r.f64("bias");
  if (!std::isfinite(m.bias))
    r.fail("non-finite bias");
  if (m.classifier()) {
    m.positive_class = r.f64("positive class");
    m.negative_class = r.f64("negative class");
  }
  if (r.remaining() != 0)
    r.fail(std::to_string(r.remaining()) + " unexpected trailing bytes (wrong type tag?)");
  return m;
}

std::vector<au_list_entry> read_au_list(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    throw error(error_code::model_format, file.string() + ": cannot open AU list");
  std::vector<au_list_entry> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream fields(line);
    std::string path, name;
    if (!(fields >> path))
      continue;  // blank line
    if (!(fields >> name))
      throw error(error_code::model_format,
                  file.string() + ": line " + std::to_string(line_no) + ": missing AU name");
    out.push_back({file.parent_path() / path, name});
  }
  if (out.empty())
    throw error(error_code::model_format, file.string() + ": no AU models listed");
  return out;
}

}  // namespace facemirror
