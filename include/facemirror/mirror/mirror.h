#pragma once
// Reflecting a face across its midline into two symmetric faces, as S1 Face Mirror does.
//
// WHAT THIS REPRESENTS
//   The facial midline runs from the glabella (midpoint of landmarks 21 and 22, the inner brow
//   ends) to the chin (landmark 8). Each output frame keeps one half of the face and replaces
//   the other half by the reflection of the kept half across that line (a true reflection at
//   any head tilt, bilinear sampling), with a narrow blended seam.
//   "right_mirrored" is the patient's right half: image left in an unflipped camera view.
//
// THREAD SAFETY
//   Free functions are pure. midline_smoother is per-video state fed in frame order.

#include <deque>
#include <optional>
#include <string>

#include "facemirror/landmarks/pdm.h"
#include "facemirror/types.h"

namespace facemirror {

struct midline {
  cv::Point2d glabella;
  cv::Point2d chin;
};

/// The raw midline of one frame's landmarks; nullopt when glabella and chin coincide.
[[nodiscard]] std::optional<midline> midline_from_landmarks(const landmarks_2d& landmarks);

/// Temporal smoothing in frame order: a weighted mean of the last `window` midlines, newer
/// frames weighted more (linear weights 0.5 .. 1). Frames without a face do not enter it.
class midline_smoother {
 public:
  explicit midline_smoother(int window = 5) : window_(window) {}
  [[nodiscard]] midline smooth(const midline& current);
  void reset() { history_.clear(); }

 private:
  int window_;
  std::deque<midline> history_;
};

struct mirrored_faces {
  cv::Mat right_mirrored;  // patient's right half (image left, unflipped view) + its reflection
  cv::Mat left_mirrored;   // patient's left half + its reflection
};

/// The 68-point scheme's left/right partner of each landmark (itself for midline points).
[[nodiscard]] int mirror_partner(int landmark);

/// How far 68 landmarks are from mirror symmetry: the mean distance between each landmark's
/// reflection and its partner (mirror_partner), across the line whose reflection maps the
/// landmarks onto their partners best (least squares), as a fraction of the jaw's width
/// (landmarks 0 to 16). A mirrored face is symmetric by
/// construction, so a right fit of one scores near 0 (median 0.005 on the shared videos'
/// mirrored faces); fits that lost part of the face score 0.05 to 0.35. Natural faces score
/// 0.02-0.07 (head pose, expression). 0 for degenerate input (all points in one place).
[[nodiscard]] double landmark_asymmetry(const landmarks_2d& landmarks);

/// Mirrors `bgr` across `line`. `seam_px` is the half-width of the blend band along the line.
[[nodiscard]] mirrored_faces mirror_faces(const cv::Mat& bgr, const midline& line,
                                          double seam_px = 3.0);

enum class yaw_quality { good, acceptable, poor };

/// The head's yaw as mirroring sees it, in degrees: its turn away from the camera's line of
/// sight to the head (pose.ry less atan2(pose.tx, pose.tz)), not away from the optical axis.
/// A face looking at the camera from the side of the picture shows both halves alike and
/// reads near 0 (pose_Ry alone read +18 and -9 degrees for one face cropped off-centre both
/// ways, 1.5 centred; this reads -0.3, 3.3 and 1.5). The banner, the head-pose CSV and the
/// report's head-turn flag use it.
[[nodiscard]] double mirroring_yaw_deg(const head_pose& pose);

/// S1's banner thresholds: |yaw| <= 3 degrees good, <= 5 acceptable, else poor.
[[nodiscard]] yaw_quality classify_yaw(double yaw_deg);
[[nodiscard]] const char* describe(yaw_quality quality);

/// The debug frame: the source with the extended midline, the landmarks and a yaw banner.
/// Without a face (`line` empty) only a "NO FACE" banner is drawn.
[[nodiscard]] cv::Mat draw_debug_frame(const cv::Mat& bgr, const std::optional<midline>& line,
                                       const landmarks_2d* landmarks, double yaw_deg);

}  // namespace facemirror
