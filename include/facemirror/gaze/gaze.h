#pragma once
// Eye landmarks in 3-D and gaze direction, as OpenFace 2.2 reports them (gaze_0_*, gaze_1_*,
// gaze_angle_*, eye_lmk_*), re-implemented from Wood et al. (ICCV 2015) and Baltrusaitis et
// al. (OpenFace 2.0, FG 2018) and checked against OpenFace 2.2's CSVs.
//
// WHAT THIS REPRESENTS
//   eye_part_fit: one 28-point eye part model's fit (CLNF's left_eye_28 or right_eye_28): its
//   2-D landmarks (image pixels; the first 8 are the iris), its model-space 3-D shape and its
//   rigid parameters. eye_pair holds both, [0] = left_eye_28 (OpenFace's gaze_0 and
//   eye_lmk_*_0..27), [1] = right_eye_28 (gaze_1, eye_lmk_*_28..55).
//   Per eye, the 28 landmarks are placed in camera space (millimetres) as the face's X/Y/Z
//   are: depth fx / scale plus the rotated model depth, back-projected through the 2-D point.
//   The pupil is the mean of the 8 iris points; the eyeball (radius 12 mm) is centred at the
//   midpoint of the eye's two corners in the face's 3-D landmarks (36/39 for eye 0, 42/45 for
//   eye 1) plus (0, -3.5, 7) mm rotated by the head rotation; the gaze is the unit vector from
//   that centre to the nearest point where the camera ray through the pupil meets the ball.
//   gaze_angle_x/y = atan2(g.x, -g.z), atan2(g.y, -g.z) of the two eyes' mean vector.
//
// UNITS
//   Pixels for 2-D points, millimetres (camera space, z away from the camera) for 3-D points,
//   radians for angles; the gaze vectors are unit vectors in camera space.
//
// THREAD SAFETY
//   Value types and pure functions: safe from any thread.

#include <array>
#include <string>
#include <vector>

#include "facemirror/landmarks/pdm.h"
#include "facemirror/types.h"

namespace facemirror {

struct clnf_part_fit;

inline constexpr int eye_part_points = 28;  // per eye part model
inline constexpr int eye_iris_points = 8;   // the first 8 of an eye part's points
inline constexpr int eye_landmark_count = 2 * eye_part_points;

/// One eye part model's fit (plain data: copied across threads and processes as bytes).
struct eye_part_fit {
  bool fitted = false;                                 // false: no fit, everything zero
  std::array<cv::Point2d, eye_part_points> landmarks;  // image pixels
  /// The part PDM's shape in model space (mean + V * local; unrotated, unscaled).
  std::array<cv::Point3d, eye_part_points> model_shape;
  double scale = 0, rx = 0, ry = 0, rz = 0;  // the part PDM's weak-perspective fit
};
using eye_pair = std::array<eye_part_fit, 2>;  // [0] left_eye_28, [1] right_eye_28

/// The part names OpenFace's eye columns come from, in eye_pair order.
inline constexpr std::array<const char*, 2> eye_part_names{"left_eye_28", "right_eye_28"};

/// The two eye parts of a CLNF fit, found by name in `part_names` (clnf_model::part_names(),
/// the order of `parts`). An eye that is missing, empty or not 28 points is left unfitted.
[[nodiscard]] eye_pair eye_parts_of(const std::vector<std::string>& part_names,
                                    const std::vector<clnf_part_fit>& parts);

/// OpenFace's gaze_* columns.
struct gaze_estimate {
  cv::Point3d eye_0, eye_1;  // unit vectors (gaze_0_*, gaze_1_*), zero when not estimated
  double angle_x = 0, angle_y = 0;
};

/// Everything one CSV row holds about the eyes.
struct eye_observation {
  std::array<cv::Point2d, eye_landmark_count> landmarks;     // eye_lmk_x/y (pixels)
  std::array<cv::Point3d, eye_landmark_count> landmarks_mm;  // eye_lmk_X/Y/Z (camera space)
  gaze_estimate gaze;
};

/// An eye part's 28 landmarks in camera space (millimetres); zeros when !eye.fitted.
[[nodiscard]] std::array<cv::Point3d, eye_part_points> eye_landmarks_in_camera_space(
    const eye_part_fit& eye, const camera_intrinsics& camera);

/// The unit gaze vector of one eye (0: corners 36/39, 1: corners 42/45) from its camera-space
/// landmarks, the face's camera-space landmarks and the head pose (rotation used). Where the
/// pupil's ray misses the eyeball, OpenFace takes the point (0, 0, -1) as the hit; so do we.
[[nodiscard]] cv::Point3d gaze_direction(
    int eye, const std::array<cv::Point3d, eye_part_points>& eye_landmarks_mm,
    const landmarks_3d& face_mm, const head_pose& pose);

/// gaze_angle_x/y of two unit gaze vectors.
[[nodiscard]] cv::Vec2d gaze_angles(const cv::Point3d& eye_0, const cv::Point3d& eye_1);

/// One frame's eye columns. Eye landmarks are reported for every fit, as OpenFace writes them
/// even on frames it marks unsuccessful; the gaze only where `face_found` (the frame's success),
/// zeros elsewhere, as OpenFace.
[[nodiscard]] eye_observation observe_eyes(const eye_pair& eyes, const landmarks_3d& face_mm,
                                           const head_pose& pose, const camera_intrinsics& camera,
                                           bool face_found);

}  // namespace facemirror
