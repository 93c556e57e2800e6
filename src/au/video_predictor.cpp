// Per-video AU prediction: running medians, raw predictions, offline post-processing.
#include <algorithm>

#include "facemirror/au/au_engine.h"
#include "facemirror/au/au_postprocess.h"
#include "facemirror/error.h"

namespace facemirror {
namespace {

// OpenFace's histogram ranges: FHOG values lie in [0, 1]; geometry in roughly +-60 mm.
constexpr int hog_bins = 1000;
constexpr double hog_min = -0.005, hog_max = 1.0;
constexpr int geom_bins = 10000;
constexpr double geom_min = -60.0, geom_max = 60.0;

}  // namespace

au_video_predictor::au_video_predictor(std::shared_ptr<const au_model_set> models)
    : models_(std::move(models)),
      hog_median_(models_ ? models_->hog_length() : 1, hog_bins, hog_min, hog_max),
      geom_median_(models_ ? models_->geometry_length() : 1, geom_bins, geom_min, geom_max) {
  FACEMIRROR_CHECK(models_ != nullptr, "au_video_predictor: null model set");
  const auto& ms = models_->models();
  for (size_t k = 0; k < ms.size(); ++k)
    if (ms[k].dynamic())
      dynamic_models_.push_back(static_cast<int>(k));
  median_dot_.assign(ms.size(), 0.0);
}

void au_video_predictor::reset() {
  hog_median_.reset();
  geom_median_.reset();
  std::fill(median_dot_.begin(), median_dot_.end(), 0.0);
  frames_tracking_ = 0;
  successes_ = 0;
  success_.clear();
  raw_.clear();
  init_frames_.clear();
  init_dots_.clear();
}

void au_video_predictor::update_median_dots() {
  models_->dot_all(hog_median_.median().data(), geom_median_.median().data(), median_dot_.data());
  // Static models never see the median.
  const auto& ms = models_->models();
  for (size_t k = 0; k < ms.size(); ++k)
    if (!ms[k].dynamic())
      median_dot_[k] = 0.0;
}

void au_video_predictor::add_frame(const au_features& f) {
  FACEMIRROR_CHECK(static_cast<int>(f.hog.size()) == models_->hog_length() &&
                       static_cast<int>(f.geometry.size()) == models_->geometry_length(),
                   "au_video_predictor: feature sizes do not match the models");
  ++frames_tracking_;
  // OpenFace updates the medians on every second frame (its counter is odd on 0-based even
  // frames), counting only successful frames.
  if (models_->any_dynamic() && frames_tracking_ % 2 == 1) {
    hog_median_.update(f.hog.data(), f.success);
    for (double& v : hog_median_.median())
      v = std::max(v, 0.0);
    geom_median_.update(f.geometry.data(), f.success);
    update_median_dots();
  }

  const auto& ms = models_->models();
  const auto& constants = models_->constants();
  const bool keep_init = f.success && successes_ < max_init_frames;
  if (keep_init)
    init_frames_.push_back(frame_count());
  dots_.resize(ms.size());
  models_->dot_all(f.hog.data(), f.geometry.data(), dots_.data());
  for (size_t k = 0; k < ms.size(); ++k) {
    raw_.push_back(dots_[k] + constants[k] - median_dot_[k]);
    if (keep_init && ms[k].dynamic())
      init_dots_.push_back(dots_[k]);
  }
  success_.push_back(f.success ? 1 : 0);
  if (f.success)
    ++successes_;
}

std::vector<au_values> au_video_predictor::finish() {
  const auto& ms = models_->models();
  const size_t m_count = ms.size(), n = success_.size();
  const size_t n_dyn = dynamic_models_.size();
  const auto& constants = models_->constants();

  // Two-pass: the early frames were predicted against an immature median; redo them with
  // the final one (linear models, so only the median term changes).
  for (size_t i = 0; i < init_frames_.size(); ++i) {
    double* row = raw_.data() + static_cast<size_t>(init_frames_[i]) * m_count;
    for (size_t j = 0; j < n_dyn; ++j) {
      const int k = dynamic_models_[j];
      row[k] = init_dots_[i * n_dyn + j] + constants[k] - median_dot_[k];
    }
  }

  std::vector<au_values> out(n);
  const size_t n_int = models_->intensity_names().size();
  std::vector<double> track(n);
  for (size_t k = 0; k < m_count; ++k) {
    for (size_t i = 0; i < n; ++i) {
      const double v = raw_[i * m_count + k];
      track[i] = ms[k].classifier() ? (v > 0 ? ms[k].positive_class : ms[k].negative_class) : v;
    }
    const auto done = ms[k].classifier() ? postprocess_presence(track, success_)
                                         : postprocess_intensity(track, success_, ms[k].cutoff);
    for (size_t i = 0; i < n; ++i) {
      auto& dst = k < n_int ? out[i].intensity : out[i].presence;
      dst.push_back(done[i]);
    }
  }
  reset();
  return out;
}

}  // namespace facemirror
