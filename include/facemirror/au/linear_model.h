#pragma once
// OpenFace 2.2's linear AU models (AU_predictors/svr_*/ and svm_*/ .dat files).
//
// FILE FORMAT (little-endian, as written by OpenFace's training scripts)
//   int32 type tag: 0 static SVR, 1 dynamic SVR, 4 static SVM, 5 dynamic SVM
//   dynamic SVR only: float64 cutoff (percentile for the offline shift, -1 for none)
//   matrix means (1 x N), matrix weights (N x 1), each as int32 rows, int32 cols,
//   int32 OpenCV type (CV_64F or CV_32F), then rows*cols raw values
//   float64 bias
//   SVMs only: float64 positive class, float64 negative class
//
// A dynamic model is applied to features minus the person's running median.
//
// THREAD SAFETY
//   Plain data once read.

#include <filesystem>
#include <string>
#include <vector>

namespace facemirror {

enum class linear_model_kind { svr_static = 0, svr_dynamic = 1, svm_static = 4, svm_dynamic = 5 };

struct linear_au_model {
  std::string au;  // "AU01"
  linear_model_kind kind = linear_model_kind::svr_static;
  double cutoff = -1.0;         // dynamic SVR only; < 0 means no offline shift
  std::vector<double> means;    // subtracted from the features before the dot product
  std::vector<double> weights;  // one per feature
  double bias = 0.0;
  double positive_class = 1.0;  // SVMs: output when the decision value is > 0
  double negative_class = 0.0;  // SVMs: output otherwise

  [[nodiscard]] bool dynamic() const {
    return kind == linear_model_kind::svr_dynamic || kind == linear_model_kind::svm_dynamic;
  }
  [[nodiscard]] bool classifier() const {
    return kind == linear_model_kind::svm_static || kind == linear_model_kind::svm_dynamic;
  }
};

/// Reads one .dat model; the type tag in the file decides the layout (never the file name).
/// Throws error(model_format, "<file>: <reason>") if it is missing, truncated or malformed.
[[nodiscard]] linear_au_model read_linear_au_model(const std::filesystem::path& file,
                                                   std::string au);

/// One entry of an AU list file (AU_all_best.txt): "<relative .dat path> <AU name>".
struct au_list_entry {
  std::filesystem::path file;  // resolved against the list file's folder
  std::string au;
};

/// Parses an AU list file. Throws error(model_format) if missing or malformed.
[[nodiscard]] std::vector<au_list_entry> read_au_list(const std::filesystem::path& file);

}  // namespace facemirror
