#pragma once
// One CLNF step as OpenFace 2.2's video mode takes it, from a state its CSV prints: the fit from
// the frame before's parameters (tracking windows after an accepted frame, the wide ones after a
// rejected one) and the validator's decision, without re-detection. Shared by clnf_test and
// tests/landmarks/clnf_one_step_probe. A stepper only reads its models: one may serve several
// threads.

#include <cmath>
#include <filesystem>
#include <memory>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "facemirror/io/video_reader.h"
#include "facemirror/landmarks/clnf.h"
#include "facemirror/landmarks/detection_validator.h"
#include "facemirror/types.h"

#include "support/reference_csv.h"

namespace facemirror::test {

/// Mean distance (px) of `ours` to landmarks printed as OpenFace's CSV prints them (0.1 px):
/// ours are rounded the same way first, so that equal fits measure 0.
inline double distance_to_printed(const landmarks_2d& ours, const landmarks_2d& printed) {
  double sum = 0;
  for (int i = 0; i < landmark_count; ++i) {
    const cv::Point2d rounded(std::round(ours[i].x * 10) / 10, std::round(ours[i].y * 10) / 10);
    sum += cv::norm(rounded - printed[i]);
  }
  return sum / landmark_count;
}

struct clnf_step {
  clnf_fit_result fit;
  double certainty = 0;  // the validator's, 0 for a face too small to fit
  bool accepted = false;
};

class clnf_stepper {
 public:
  /// `model_dir`: OpenFace's model/ folder (main_clnf_general.txt, detection_validation/).
  explicit clnf_stepper(const std::filesystem::path& model_dir)
      : model_(clnf_model::load(model_dir / "main_clnf_general.txt")),
        validator_(
            detection_validator::load(model_dir / "detection_validation/validator_cnn.txt")) {}

  [[nodiscard]] int modes() const { return model_->pdm().mode_count(); }

  /// Fits grey frame `grey` from `start`, the state of the frame before, which the validator
  /// accepted or not (`after_accepted`), and validates the fit.
  [[nodiscard]] clnf_step step(const cv::Mat& grey, const pdm_params& start,
                               bool after_accepted) const {
    clnf_step s;
    s.fit = model_->fit(
        grey, start, after_accepted ? clnf_fit_options::tracking() : clnf_fit_options::detection());
    if (s.fit.face_too_small)
      return s;
    s.certainty = certainty(grey, s.fit.landmarks,
                            cv::Vec3d(s.fit.params.rx, s.fit.params.ry, s.fit.params.rz));
    s.accepted = s.certainty > detection_validator::default_threshold;
    return s;
  }

  /// The validator's certainty for any fit, e.g. OpenFace's own printed one.
  [[nodiscard]] double certainty(const cv::Mat& grey, const landmarks_2d& landmarks,
                                 const cv::Vec3d& rotation) const {
    return validator_->check(grey, landmarks, rotation);
  }

 private:
  std::shared_ptr<const clnf_model> model_;
  std::shared_ptr<const detection_validator> validator_;
};

/// One frame as OpenFace left it: the grey frame, OpenFace's printed state of the frame before
/// (the start of a step) and what OpenFace printed for this frame.
struct printed_step {
  int frame = 0;  // 1-based
  cv::Mat grey;
  pdm_params start;
  bool before_accepted = false;  // OpenFace's validator on the frame before
  bool accepted = false;         // ... and on this one
  landmarks_2d printed{};        // OpenFace's landmarks for this frame
};

/// Calls visit(const printed_step&) for every frame from the second on whose frame before
/// OpenFace fitted (p_scale > 0), in order, until the video or the CSV ends; returns how many.
template <class Visit>
int for_each_printed_step(const std::filesystem::path& video, const reference_csv& ref, int modes,
                          Visit&& visit) {
  video_reader reader(probe_video(video));
  int visited = 0;
  for (int f = 1; f <= static_cast<int>(ref.rows()); ++f) {
    const auto decoded = reader.read();
    if (!decoded)
      break;
    if (f == 1 || ref.at(f - 2, "p_scale") <= 0)
      continue;
    printed_step s;
    s.frame = f;
    cv::cvtColor(decoded->bgr, s.grey, cv::COLOR_BGR2GRAY);
    s.start = ref.params(f - 2, modes);
    s.before_accepted = ref.at(f - 2, "success") > 0.5;
    s.accepted = ref.at(f - 1, "success") > 0.5;
    s.printed = ref.landmarks(f - 1);
    visit(s);
    ++visited;
  }
  return visited;
}

}  // namespace facemirror::test
