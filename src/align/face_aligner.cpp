// Similarity alignment of the face to OpenFace's canonical 112x112 AU crop.
#include "facemirror/align/face_aligner.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"

namespace facemirror {
namespace {

// Points OpenFace treats as rigid (little expression-driven motion): jaw sides, nose, eye
// corners and lids. Aligning on these keeps expressions from moving the crop.
constexpr std::array<int, 24> rigid_points = {1,  2,  3,  4,  12, 13, 14, 15, 27, 28, 29, 31,
                                              32, 33, 34, 35, 36, 39, 40, 41, 42, 45, 46, 47};

// Jaw ends and brows, lifted so that the mask reaches the forehead.
constexpr std::array<int, 12> lifted_points = {0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26};

}  // namespace

face_aligner::face_aligner(const point_distribution_model& pdm, triangulation tris,
                           double sim_scale, int size)
    : tris_(std::move(tris)), sim_scale_(sim_scale), size_(size) {
  const cv::Mat_<double>& mean = pdm.mean_shape();
  const int n = pdm.point_count();
  FACEMIRROR_CHECK(n == landmark_count, "face_aligner: the PDM must have 68 points");
  for (int idx : rigid_points)
    rigid_mean_.emplace_back(mean(idx), mean(idx + n));
  scale_reference();
}

void face_aligner::scale_reference() {
  rigid_reference_.clear();
  for (const cv::Point2d& p : rigid_mean_)
    rigid_reference_.emplace_back(p.x * sim_scale_, p.y * sim_scale_);
}

face_aligner face_aligner::with_scale_and_size(double sim_scale, int size) const {
  FACEMIRROR_CHECK(std::isfinite(sim_scale) && sim_scale > 0 && size > 0,
                   "face_aligner: the scale and size must be positive");
  face_aligner out = *this;
  out.sim_scale_ = sim_scale;
  out.size_ = size;
  out.scale_reference();
  return out;
}

cv::Matx23d face_aligner::warp_for(const landmarks_2d& landmarks, const pdm_params& params) const {
  std::vector<cv::Point2d> src;
  src.reserve(rigid_points.size());
  for (int idx : rigid_points)
    src.push_back(landmarks[idx]);
  const cv::Matx22d sr = align_shapes_with_scale(src, rigid_reference_);
  const cv::Vec2d t = sr * cv::Vec2d(params.tx, params.ty);
  return {sr(0, 0), sr(0, 1), -t[0] + size_ / 2.0,  //
          sr(1, 0), sr(1, 1), -t[1] + size_ / 2.0};
}

aligned_face face_aligner::align(const cv::Mat& frame, const landmarks_2d& landmarks,
                                 const pdm_params& params, bool masked) const {
  aligned_face out;
  out.warp = warp_for(landmarks, params);
  cv::warpAffine(frame, out.image, cv::Mat(out.warp), cv::Size(size_, size_), cv::INTER_LINEAR);
  if (!masked)
    return out;

  // OpenFace lifts by (30 / 0.7) * sim_scale: 30 px at the default scale.
  const double lift = (30.0 / 0.7) * sim_scale_;
  std::array<bool, landmark_count> lifted{};
  for (int idx : lifted_points)
    lifted[idx] = true;
  std::vector<cv::Point2f> dst(landmarks.size());
  for (size_t i = 0; i < landmarks.size(); ++i) {
    const cv::Point2d& p = landmarks[i];
    const double x = out.warp(0, 0) * p.x + out.warp(0, 1) * p.y + out.warp(0, 2);
    const double y = out.warp(1, 0) * p.x + out.warp(1, 1) * p.y + out.warp(1, 2);
    dst[i] = cv::Point2f(static_cast<float>(x), static_cast<float>(lifted[i] ? y - lift : y));
  }

  const cv::Mat_<uchar> mask = triangle_mask(dst, tris_, out.image.size());
  cv::Mat zero_outside;
  out.image.copyTo(zero_outside, mask);  // copyTo with a mask leaves masked-out pixels at 0
  out.image = zero_outside;
  return out;
}

}  // namespace facemirror
