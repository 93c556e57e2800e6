// Loading the AU model set named by OpenFace's main_*_svms.txt.
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "facemirror/au/au_engine.h"
#include "facemirror/error.h"
#include "facemirror/features/au_descriptors.h"

namespace facemirror {
namespace {

constexpr int aligned_size = 112;
constexpr double sim_scale = 0.7;
constexpr int hog_cell = 8;

struct main_file {
  std::filesystem::path au_list, pdm, tris;
};

main_file read_main_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    throw error(error_code::model_format, file.string() + ": cannot open AU model list");
  main_file out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key, value;
    if (!(fields >> key))
      continue;
    if (!(fields >> value))
      throw error(error_code::model_format, file.string() + ": '" + key + "' has no file");
    const auto path = file.parent_path() / value;
    if (key == "AUPredictor")
      out.au_list = path;
    else if (key == "PDM")
      out.pdm = path;
    else if (key == "Triangulation")
      out.tris = path;
  }
  if (out.au_list.empty() || out.pdm.empty() || out.tris.empty())
    throw error(error_code::model_format,
                file.string() + ": needs AUPredictor, PDM and Triangulation entries");
  return out;
}

std::vector<linear_au_model> sorted_by_name(std::vector<linear_au_model> models) {
  std::stable_sort(models.begin(), models.end(),
                   [](const auto& a, const auto& b) { return a.au < b.au; });
  return models;
}

}  // namespace

std::shared_ptr<const au_model_set> au_model_set::load(const std::filesystem::path& dir, kind k) {
  const auto main =
      read_main_file(dir / (k == kind::dynamic ? "main_dynamic_svms.txt" : "main_static_svms.txt"));
  std::vector<linear_au_model> intensity, presence;
  for (const auto& entry : read_au_list(main.au_list)) {
    auto m = read_linear_au_model(entry.file, entry.au);
    (m.classifier() ? presence : intensity).push_back(std::move(m));
  }
  return std::make_shared<const au_model_set>(k, point_distribution_model::load(main.pdm),
                                              triangulation::load(main.tris), std::move(intensity),
                                              std::move(presence));
}

au_model_set::au_model_set(kind k, point_distribution_model pdm, triangulation tris,
                           std::vector<linear_au_model> intensity,
                           std::vector<linear_au_model> presence)
    : kind_(k),
      pdm_(std::move(pdm)),
      aligner_(pdm_, std::move(tris), sim_scale, aligned_size),
      hog_length_(fhog_length(aligned_size, hog_cell)),
      geometry_length_(pdm_.mean_shape().rows + pdm_.mode_count()) {
  intensity = sorted_by_name(std::move(intensity));
  presence = sorted_by_name(std::move(presence));
  const size_t features = static_cast<size_t>(hog_length_ + geometry_length_);
  for (auto* group : {&intensity, &presence}) {
    std::set<std::string> seen;
    for (auto& m : *group) {
      if (!seen.insert(m.au).second)
        throw error(error_code::model_format, m.au + ": listed twice in the AU model list");
      if (m.weights.size() != features)
        throw error(error_code::model_format,
                    m.au + ": model has " + std::to_string(m.weights.size()) +
                        " weights, the features have " + std::to_string(features));
      (group == &intensity ? intensity_names_ : presence_names_).push_back(m.au);
      double c = m.bias;
      for (size_t i = 0; i < features; ++i)
        c -= m.means[i] * m.weights[i];
      constants_.push_back(c);
      any_dynamic_ = any_dynamic_ || m.dynamic();
      models_.push_back(std::move(m));
    }
  }
  const size_t n_models = models_.size();
  weights_by_feature_.resize(features * n_models);
  for (size_t m = 0; m < n_models; ++m)
    for (size_t i = 0; i < features; ++i)
      weights_by_feature_[i * n_models + m] = models_[m].weights[i];
}

template <typename hog_type>
void au_model_set::dot_all(const hog_type* hog, const double* geometry, double* out) const {
  const size_t n_models = models_.size();
  std::fill(out, out + n_models, 0.0);
  const double* w = weights_by_feature_.data();
  for (int i = 0; i < hog_length_; ++i, w += n_models) {
    const double x = static_cast<double>(hog[i]);
    for (size_t m = 0; m < n_models; ++m)
      out[m] += x * w[m];
  }
  for (int i = 0; i < geometry_length_; ++i, w += n_models) {
    const double x = geometry[i];
    for (size_t m = 0; m < n_models; ++m)
      out[m] += x * w[m];
  }
}

template void au_model_set::dot_all<float>(const float*, const double*, double*) const;
template void au_model_set::dot_all<double>(const double*, const double*, double*) const;

}  // namespace facemirror
