// Parsing of OpenFace's binary linear AU models and AU list files.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include <opencv2/core.hpp>

#include "facemirror/au/linear_model.h"
#include "facemirror/error.h"

namespace facemirror {
namespace {

class byte_reader {
 public:
  byte_reader(const std::filesystem::path& file, std::vector<char> bytes)
      : file_(file), bytes_(std::move(bytes)) {}

  template <typename T>
  T read(const char* what) {
    T v;
    need(sizeof(T), what);
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::vector<double> matrix(const char* what, int expect_rows, int expect_cols) {
    const auto rows = read<int32_t>(what);
    const auto cols = read<int32_t>(what);
    const auto type = read<int32_t>(what);
    if (rows < 1 || cols < 1 || rows > 10'000'000 / cols)
      fail(std::string(what) + ": bad matrix size " + std::to_string(rows) + "x" +
           std::to_string(cols));
    if ((expect_rows > 0 && rows != expect_rows) || (expect_cols > 0 && cols != expect_cols))
      fail(std::string(what) + ": unexpected matrix shape " + std::to_string(rows) + "x" +
           std::to_string(cols));
    if (type != CV_64F && type != CV_32F)
      fail(std::string(what) + ": unsupported element type " + std::to_string(type));
    const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(cols);
    std::vector<double> out(n);
    for (size_t i = 0; i < n; ++i)
      out[i] = type == CV_64F ? read<double>(what) : static_cast<double>(read<float>(what));
    for (double v : out)
      if (!std::isfinite(v))
        fail(std::string(what) + ": non-finite value");
    return out;
  }

  [[nodiscard]] size_t remaining() const { return bytes_.size() - pos_; }

  [[noreturn]] void fail(const std::string& reason) const {
    throw error(error_code::model_format, file_.string() + ": " + reason);
  }

 private:
  void need(size_t n, const char* what) const {
    if (bytes_.size() - pos_ < n)
      fail(std::string("truncated while reading ") + what);
  }

  std::filesystem::path file_;
  std::vector<char> bytes_;
  size_t pos_ = 0;
};

}  // namespace

linear_au_model read_linear_au_model(const std::filesystem::path& file, std::string au) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw error(error_code::model_format, file.string() + ": cannot open AU model");
  byte_reader r(file, std::vector<char>(std::istreambuf_iterator<char>(in), {}));

  linear_au_model m;
  m.au = std::move(au);
  const auto tag = r.read<int32_t>("type tag");
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
    m.cutoff = r.read<double>("cutoff");
    if (!std::isfinite(m.cutoff) || m.cutoff > 1.0)
      r.fail("bad cutoff");
  }
  m.means = r.matrix("means", 1, -1);
  m.weights = r.matrix("weights", static_cast<int>(m.means.size()), 1);
  m.bias = r.read<double>("bias");
  if (!std::isfinite(m.bias))
    r.fail("non-finite bias");
  if (m.classifier()) {
    m.positive_class = r.read<double>("positive class");
    m.negative_class = r.read<double>("negative class");
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
