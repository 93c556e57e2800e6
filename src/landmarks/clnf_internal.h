#pragma once
// Internals of the CLNF fitter (include/facemirror/landmarks/clnf.h), shared by
// clnf_patch.cpp (CCNF patch experts), clnf_rlms.cpp (the optimiser) and clnf_model.cpp
// (loading and orchestration). Every level's shape model is a point_distribution_model (pdm.h)
// of its own point count.
//
// THREAD SAFETY
//   Everything here is immutable after loading, except ccnf_patch's Sigma cache, which fills
//   itself once per window under std::call_once; the functions use call-local scratch.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "facemirror/landmarks/clnf.h"
#include "facemirror/landmarks/pdm.h"

#include "core/simd_clones.h"  // the fit's hot loops: see FACEMIRROR_SIMD_CLONES

namespace facemirror::detail {

// One logistic neuron of a CCNF patch expert: 2 alpha / (1 + exp(-(ncc * norm + bias))), where
// ncc is the normalised cross-correlation of the image window with `weights`.
struct ccnf_neuron {
  int type = 0;    // 0: raw intensities (the only kind the shipped models use)
  float norm = 0;  // scale of the weights before normalisation
  float bias = 0;
  float alpha = 0;
  std::vector<float> weights;  // zero mean, unit L2 norm, row-major (height x width)
};

// A CCNF patch expert for one landmark in one view. Its response is Sigma * b, where b is the
// sum of the neuron responses over the window and Sigma = (2 (sum alpha I + sum beta_k S_k))^-1
// couples neighbouring positions through the model's similarity/sparsity matrices S_k.
struct ccnf_patch {
  // Sigma for one window, computed on the first call (thread-safe) and kept. Inverting every
  // view's matrices at load was a third of a short video's CPU, and a video mostly uses one or
  // two of the seven views.
  class cached_sigma {
   public:
    // `components`: window -> S_k, looked up only when Sigma is first computed.
    [[nodiscard]] const cv::Mat_<float>& get(
        const ccnf_patch& patch, const std::map<int, std::vector<cv::Mat_<float>>>& components,
        int w) const;

   private:
    mutable std::once_flag once_;
    mutable cv::Mat_<float> sigma_;
  };

  int width = 0, height = 0;
  std::vector<ccnf_neuron> neurons;
  std::vector<double> betas;
  double confidence = 0;
  // window size -> Sigma (w^2 x w^2): the windows named at load, filled on first use. The map
  // itself never changes after loading, so concurrent readers need no lock.
  std::map<int, std::unique_ptr<cached_sigma>> sigma;

  [[nodiscard]] bool empty() const { return neurons.empty(); }
  // Sigma for window `w` from the sigma components (w^2 x w^2 each).
  [[nodiscard]] cv::Mat_<float> compute_sigma(const std::vector<cv::Mat_<float>>& comps,
                                              int w) const;
  // Sigma for window `w` with `components` (window -> S_k): the cached matrix for a window named
  // at load, else computed into `scratch`.
  [[nodiscard]] const cv::Mat_<float>& sigma_for(
      int w, const std::map<int, std::vector<cv::Mat_<float>>>& components,
      cv::Mat_<float>& scratch) const;
};

// All experts of one patch scale: views (head orientations) x landmarks.
struct ccnf_scale {
  double scale = 0;                          // reference-shape scale the experts expect
  std::vector<cv::Vec3d> view_centres;       // radians (rx, ry, rz)
  std::vector<std::vector<int>> visibility;  // [view][landmark]
  std::map<int, std::vector<cv::Mat_<float>>> sigma_components;  // window -> S_k
  std::vector<std::vector<ccnf_patch>> patches;                  // [view][landmark]

  [[nodiscard]] int view_for(const pdm_params& p) const;
};

// Reads a binary CCNF patch file; Sigma for `windows` is computed on first use
// (ccnf_patch::sigma_for). Throws error(model_format) naming the file on any inconsistency.
ccnf_scale load_ccnf_scale(const std::filesystem::path& file, const std::vector<int>& windows);

// cv::warpAffine(src, out, to_src, size, INTER_LINEAR | WARP_INVERSE_MAP), zero border,
// bit for bit, without OpenCV's per-call set-up (clnf_sampling.cpp). `src` is CV_32FC1 or
// CV_8UC1; an 8-bit source gives exactly what its float copy would (every uchar is exactly a
// float), so the fitter samples the 8-bit grey frame itself: converting a whole 4K frame to
// float for a few thousand samples was most of a 4K frame's time.
void warp_linear(const cv::Mat& src, const cv::Matx23d& to_src, cv::Size size,
                 cv::Mat_<float>& out);

// Response maps (w x w, row-major, non-negative) of every visible landmark's expert around
// `shape` (image coordinates). `to_ref` maps image offsets to the reference frame (2x2).
// Invisible landmarks get an empty map.
void patch_responses(const cv::Mat& grey, const std::vector<cv::Point2d>& shape,
                     const cv::Matx22d& to_ref, const ccnf_scale& experts, int view, int window,
                     std::vector<std::vector<float>>& responses);

// Largest search window (response map side) the optimiser accepts.
constexpr int max_window = 64;

// What one scale's optimisation works on. `experts` is only read for the patch confidences
// (weight_factor > 0) and may be null otherwise.
struct rlms_inputs {
  const point_distribution_model* pdm = nullptr;
  const ccnf_scale* experts = nullptr;
  int view = 0, window = 0;
  const std::vector<std::vector<float>>* responses = nullptr;  // empty map: landmark unused
  std::vector<cv::Point2d> base;  // landmarks where the responses were computed
  cv::Matx22d to_ref, to_img;     // image <-> reference frame (2x2 similarity)
  double sigma = 1.5, reg = 25, weight_factor = 0;
};

// One rigid (6 global parameters) or non-rigid (all) RLMS stage of up to opt.iterations
// Gauss-Newton steps; true when it stopped on opt.convergence_px.
// `last_offsets`, when given, receives the window coordinates (unclamped) at which the last
// step's mean-shifts were taken: the position before the last update.
bool rlms(const rlms_inputs& in, bool rigid, pdm_params& p, const clnf_fit_options& opt,
          std::vector<cv::Point2d>* last_offsets = nullptr);

// One CLNF level (the main model or a part model): PDM plus experts per scale.
struct clnf_level {
  // Moved, never copied (the experts' Sigma caches are not copyable); declaring the move also
  // lets vectors of parts move levels whose PDM's move may throw (cv::Mat's).
  clnf_level() = default;
  clnf_level(clnf_level&&) = default;
  clnf_level& operator=(clnf_level&&) = default;

  std::string name;
  point_distribution_model pdm;
  std::vector<ccnf_scale> scales;
};

struct level_fit {
  bool converged = false;  // the last non-rigid stage met convergence_px
  bool too_small = false;  // stopped: the PDM scale fell below options.min_face_scale
  double likelihood = 0;   // mean log response at the last scale run
};

// Fits `p` with the level's experts (every scale of options.window_sizes with a window).
level_fit fit_level(const clnf_level& level, const cv::Mat& grey, pdm_params& p,
                    const clnf_fit_options& options);

}  // namespace facemirror::detail

namespace facemirror {

struct clnf_model::impl {
  detail::clnf_level main;  // its PDM is the 68-point model pdm() returns
  struct part {
    detail::clnf_level level;
    std::vector<std::pair<int, int>> mapping;  // (main index, part index)
    clnf_fit_options options;
  };
  std::vector<part> parts;
};

}  // namespace facemirror
