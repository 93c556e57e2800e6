#pragma once
// Value types shared by every stage. Plain data: safe to copy between threads.

#include <array>
#include <cstdint>

#include <opencv2/core.hpp>

namespace facemirror {

/// Landmarks follow the iBUG/Multi-PIE 68-point order that OpenFace and dlib both use
/// (0-16 jaw, 17-26 brows, 27-35 nose, 36-47 eyes, 48-67 mouth), 0-based.
inline constexpr int landmark_count = 68;
using landmarks_2d = std::array<cv::Point2d, landmark_count>;

/// The mean distance (pixels) between corresponding landmarks of two shapes.
[[nodiscard]] inline double mean_landmark_distance(const landmarks_2d& a, const landmarks_2d& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i)
    sum += cv::norm(a[i] - b[i]);
  return sum / landmark_count;
}

/// The centroid of a shape's landmarks (pixels).
[[nodiscard]] inline cv::Point2d landmark_centroid(const landmarks_2d& landmarks) {
  cv::Point2d sum(0, 0);
  for (const cv::Point2d& p : landmarks)
    sum += p;
  return sum / landmark_count;
}
using landmarks_3d = std::array<cv::Point3d, landmark_count>;

/// How a frame came out of the decoder (video_reader::read()).
enum class frame_damage : uint8_t {
  none,
  /// Decoded from damaged data (a broken packet, or one referring to a lost frame): the
  /// decoder filled in what it could not read, as a player shows it; parts may be wrong.
  concealed,
  /// The container lists the frame but the decoder gave no picture for it (its data is
  /// unreadable, or a "not coded" frame a capture program wrote for one it dropped): `bgr` is a
  /// black frame of the video's size, on which no face is found.
  missing,
};

/// One decoded frame, upright (container rotation already applied), 8-bit BGR.
struct video_frame {
  int64_t index = 0;         // 0-based position in presentation order
  double timestamp_s = 0.0;  // presentation time from the stream, seconds from the first frame
  cv::Mat bgr;               // owns its pixels
  frame_damage damage = frame_damage::none;
};

}  // namespace facemirror
