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

/// The 68 landmarks each mirrored face should have, from the source face's landmarks: the kept
/// half's points stay, the other half's are the reflections of their left/right partners, and
/// points on the facial midline (nose ridge, chin, lip centres) move onto the line. A starting
/// estimate for fitting the mirrored faces without detecting them again.
struct mirrored_landmarks {
  landmarks_2d right_mirrored;
  landmarks_2d left_mirrored;
};
[[nodiscard]] mirrored_landmarks mirror_landmarks(const landmarks_2d& source, const midline& line);

/// The 68-point scheme's left/right partner of each landmark (itself for midline points).
[[nodiscard]] int mirror_partner(int landmark);

/// Mirrors `bgr` across `line`. `seam_px` is the half-width of the blend band along the line.
[[nodiscard]] mirrored_faces mirror_faces(const cv::Mat& bgr, const midline& line,
                                          double seam_px = 3.0);

enum class yaw_quality { good, acceptable, poor };

/// S1's banner thresholds: |yaw| <= 3 degrees good, <= 5 acceptable, else poor.
[[nodiscard]] yaw_quality classify_yaw(double yaw_deg);
[[nodiscard]] const char* describe(yaw_quality quality);

/// The debug frame: the source with the extended midline, the landmarks and a yaw banner.
/// Without a face (`line` empty) only a "NO FACE" banner is drawn.
[[nodiscard]] cv::Mat draw_debug_frame(const cv::Mat& bgr, const std::optional<midline>& line,
                                       const landmarks_2d* landmarks, double yaw_deg);

}  // namespace facemirror
