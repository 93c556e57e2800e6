#pragma once
// OpenFace 2.2's facial Action Unit engine, split by threading role:
//   au_model_set         models + PDM + triangulation, loaded once, immutable;
//   au_feature_extractor per frame, stateless: PDM re-fit, aligned masked face, FHOG, geometry;
//   au_video_predictor   per video, in frame order: running medians, per-frame predictions,
//                        then OpenFace's offline post-processing in finish().
//
// THREAD SAFETY
//   au_model_set: immutable after load(); share through std::shared_ptr<const au_model_set>.
//   au_feature_extractor: const and stateless; extract() may run on any number of threads.
//   au_video_predictor: not thread-safe; one thread feeds one video's frames in order.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facemirror/align/face_aligner.h"
#include "facemirror/au/linear_model.h"
#include "facemirror/au/running_median.h"
#include "facemirror/landmarks/pdm.h"
#include "facemirror/types.h"

namespace facemirror {

/// One frame's AU features (OpenFace: 4464 FHOG values, then 238 geometry values).
struct au_features {
  bool success = false;
  std::vector<float> hog;        // FHOG of the aligned, masked 112x112 face
  std::vector<double> geometry;  // V * local (204) then local (34)
  pdm_params params;             // the re-fit on the landmarks (default when !success)
};

class au_model_set {
 public:
  enum class kind { dynamic, static_only };  // main_dynamic_svms.txt vs main_static_svms.txt

  /// Loads `au_predictors_dir`/main_dynamic_svms.txt or main_static_svms.txt and everything
  /// it names (AU list, .dat models, PDM, triangulation).
  /// Throws error(model_format | io) naming the file on any problem.
  [[nodiscard]] static std::shared_ptr<const au_model_set> load(
      const std::filesystem::path& au_predictors_dir, kind k);

  /// "AU01".."AU45" sorted (OpenFace's CSV order): 17 for the OpenFace models.
  [[nodiscard]] const std::vector<std::string>& intensity_names() const { return intensity_names_; }
  /// Sorted, 18 including AU28.
  [[nodiscard]] const std::vector<std::string>& presence_names() const { return presence_names_; }

  [[nodiscard]] kind model_kind() const { return kind_; }
  [[nodiscard]] const point_distribution_model& pdm() const { return pdm_; }
  [[nodiscard]] const face_aligner& aligner() const { return aligner_; }
  [[nodiscard]] int hog_length() const { return hog_length_; }
  [[nodiscard]] int geometry_length() const { return geometry_length_; }

  /// Intensity models (name order) then presence models (name order).
  [[nodiscard]] const std::vector<linear_au_model>& models() const { return models_; }
  [[nodiscard]] bool any_dynamic() const { return any_dynamic_; }
  /// b - means . w per model: the median-independent constant of each prediction.
  [[nodiscard]] const std::vector<double>& constants() const { return constants_; }
  /// out[k] = [hog, geometry] . w_k for every model k (models() order). Each sum runs over
  /// the features in order, as a plain dot product would; the weights are stored
  /// feature-major so that one pass serves all models.
  template <typename hog_type>
  void dot_all(const hog_type* hog, const double* geometry, double* out) const;

  au_model_set(kind k, point_distribution_model pdm, triangulation tris,
               std::vector<linear_au_model> intensity, std::vector<linear_au_model> presence);

 private:
  kind kind_;
  point_distribution_model pdm_;
  face_aligner aligner_;
  int hog_length_;
  int geometry_length_;
  std::vector<std::string> intensity_names_;
  std::vector<std::string> presence_names_;
  std::vector<linear_au_model> models_;
  std::vector<double> constants_;
  std::vector<double> weights_by_feature_;  // features x models
  bool any_dynamic_ = false;
};

extern template void au_model_set::dot_all<float>(const float*, const double*, double*) const;
extern template void au_model_set::dot_all<double>(const double*, const double*, double*) const;

class au_feature_extractor {
 public:
  explicit au_feature_extractor(std::shared_ptr<const au_model_set> models);

  /// OpenFace's per-frame features. When `success`, re-fits the PDM to `landmarks` and aligns
  /// and masks the face; otherwise (or if the fit fails) the features are those of a black
  /// face with zero shape weights, and success is false. `bgr` is 8-bit grey, BGR or BGRA.
  /// When `aligned` is given it receives the face the HOG describes (the black face on a failed
  /// frame): 8-bit, 1 or 3 channels as `bgr` (BGRA loses its alpha), aligner().size() square.
  [[nodiscard]] au_features extract(const cv::Mat& bgr, const landmarks_2d& landmarks, bool success,
                                    cv::Mat* aligned = nullptr) const;

  /// As extract(), with PDM parameters already fitted to `landmarks` (for validation).
  [[nodiscard]] au_features extract_with_params(const cv::Mat& bgr, const landmarks_2d& landmarks,
                                                const pdm_params& params, bool success,
                                                cv::Mat* aligned = nullptr) const;

  /// The aligned, masked 112x112 face extract() describes (for debugging and tests).
  [[nodiscard]] cv::Mat aligned_face(const cv::Mat& bgr, const landmarks_2d& landmarks,
                                     const pdm_params& params) const;

 private:
  std::shared_ptr<const au_model_set> models_;
};

/// Post-processed AU outputs for one frame, in intensity_names() / presence_names() order.
struct au_values {
  std::vector<double> intensity;  // [0, 5]
  std::vector<double> presence;   // 0 or 1
};

class au_video_predictor {
 public:
  explicit au_video_predictor(std::shared_ptr<const au_model_set> models);

  /// Next frame of the video (frame order, failed frames included): running median update
  /// on every second frame (0-based even), counting successful frames only, then the raw
  /// predictions against the current median.
  void add_frame(const au_features& f);

  /// OpenFace's offline pass: re-predicts the first 3000 successful frames with the final
  /// median, shifts dynamic intensities by their cutoff percentile, clamps, zeroes failed
  /// frames, smooths. One entry per added frame. Resets the predictor for the next video.
  [[nodiscard]] std::vector<au_values> finish();

  /// Drops all per-video state.
  void reset();

  [[nodiscard]] int64_t frame_count() const { return static_cast<int64_t>(success_.size()); }
  /// Current medians (empty before the first update); for tests and diagnostics.
  [[nodiscard]] const std::vector<double>& hog_median() const { return hog_median_.median(); }
  [[nodiscard]] const std::vector<double>& geometry_median() const { return geom_median_.median(); }

  static constexpr int max_init_frames = 3000;

 private:
  void update_median_dots();

  std::shared_ptr<const au_model_set> models_;
  std::vector<int> dynamic_models_;  // indices into models()
  running_median hog_median_;
  running_median geom_median_;
  std::vector<double> median_dot_;  // per model: median . w (dynamic models only)
  int64_t frames_tracking_ = 0;
  int64_t successes_ = 0;
  std::vector<uint8_t> success_;      // per frame
  std::vector<double> raw_;           // frames x models: prediction / SVM decision value
  std::vector<int64_t> init_frames_;  // frames re-predicted in finish()
  std::vector<double> init_dots_;     // init frames x dynamic models: features . w
  std::vector<double> dots_;          // scratch
};

}  // namespace facemirror
