#include "facemirror/mirror/mirror.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"

#include "mirror/reflect.h"

namespace facemirror {

std::optional<midline> midline_from_landmarks(const landmarks_2d& landmarks) {
  midline line;
  line.glabella = (landmarks[21] + landmarks[22]) * 0.5;
  line.chin = landmarks[8];
  if (cv::norm(line.chin - line.glabella) < 1e-6)
    return std::nullopt;
  return line;
}

midline midline_smoother::smooth(const midline& current) {
  history_.push_back(current);
  while (static_cast<int>(history_.size()) > window_)
    history_.pop_front();
  const size_t n = history_.size();
  midline out{{0, 0}, {0, 0}};
  double total = 0.0;
  for (size_t i = 0; i < n; ++i) {
    // Linear weights from 0.5 (oldest) to 1.0 (newest).
    const double w = n == 1 ? 1.0 : 0.5 + 0.5 * static_cast<double>(i) / static_cast<double>(n - 1);
    out.glabella += history_[i].glabella * w;
    out.chin += history_[i].chin * w;
    total += w;
  }
  out.glabella *= 1.0 / total;
  out.chin *= 1.0 / total;
  return out;
}

namespace {

// Weight of the original pixel in right_mirrored at signed distance s from the midline: 1 for
// s >= half, 0 for s <= -half, linear across the seam.
float keep_right_weight(double s, double half) {
  return static_cast<float>(std::clamp(0.5 + s / (2 * half), 0.0, 1.0));
}

cv::Vec3b mix(const cv::Vec3b& a, const cv::Vec3b& b, float wa) {
  cv::Vec3b out;
  for (int c = 0; c < 3; ++c)
    out[c] = cv::saturate_cast<uchar>(wa * a[c] + (1.0f - wa) * b[c]);
  return out;
}

// One image row, where s(x) = nx * x + base. Only the few pixels within the seam band are
// blended; the rest of the row is a copy of one image or the other.
void compose_row(const cv::Vec3b* original, const cv::Vec3b* reflected, cv::Vec3b* right,
                 cv::Vec3b* left, int cols, double nx, double base, double half) {
  int band_begin = 0;
  int band_end = cols;
  if (std::abs(nx) > 1e-12) {
    const double xa = (-half - base) / nx;
    const double xb = (half - base) / nx;
    band_begin = std::clamp(static_cast<int>(std::floor(std::min(xa, xb))), 0, cols);
    band_end = std::clamp(static_cast<int>(std::ceil(std::max(xa, xb))) + 1, band_begin, cols);
  }
  auto fill = [&](int from, int to) {
    if (from >= to)
      return;
    // Outside the band every pixel of the range is on the same side of the midline.
    const bool image_left_side = nx * (from + to - 1) * 0.5 + base >= 0;
    const size_t bytes = static_cast<size_t>(to - from) * sizeof(cv::Vec3b);
    // cv::Vec3b is three bytes with no invariants: a byte copy is a valid copy.
    std::memcpy(static_cast<void*>(right + from), (image_left_side ? original : reflected) + from,
                bytes);
    std::memcpy(static_cast<void*>(left + from), (image_left_side ? reflected : original) + from,
                bytes);
  };
  fill(0, band_begin);
  for (int x = band_begin; x < band_end; ++x) {
    const float w = keep_right_weight(nx * x + base, half);
    right[x] = mix(original[x], reflected[x], w);
    left[x] = mix(original[x], reflected[x], 1.0f - w);
  }
  fill(band_end, cols);
}

}  // namespace

mirrored_faces mirror_faces(const cv::Mat& bgr, const midline& line, double seam_px) {
  FACEMIRROR_CHECK(bgr.type() == CV_8UC3, "mirror_faces needs an 8-bit BGR image");
  const cv::Point2d axis = line.chin - line.glabella;
  const double length = std::hypot(axis.x, axis.y);
  FACEMIRROR_CHECK(length > 1e-6, "mirror_faces needs a midline of non-zero length");
  const cv::Point2d d = axis * (1.0 / length);
  const cv::Point2d n(-d.y, d.x);  // unit normal; s(p) = (p - g).n >= 0 on the image-left side
  const double offset = line.glabella.dot(n);

  // The reflection p' = p - 2 s(p) n is affine (and its own inverse), so one affine warp with
  // bilinear sampling (and the edge replicated) produces the whole reflected image.
  const cv::Matx23d reflect(1 - 2 * n.x * n.x, -2 * n.x * n.y, 2 * offset * n.x,  //
                            -2 * n.x * n.y, 1 - 2 * n.y * n.y, 2 * offset * n.y);
  cv::Mat reflected;
  detail::warp_bgr_linear(bgr, reflect, reflected);  // cv::warpAffine's pixels, faster

  mirrored_faces out;
  out.right_mirrored.create(bgr.size(), CV_8UC3);
  out.left_mirrored.create(bgr.size(), CV_8UC3);
  const double half = std::max(seam_px, 1e-3);
  for (int y = 0; y < bgr.rows; ++y) {
    compose_row(bgr.ptr<cv::Vec3b>(y), reflected.ptr<cv::Vec3b>(y),
                out.right_mirrored.ptr<cv::Vec3b>(y), out.left_mirrored.ptr<cv::Vec3b>(y), bgr.cols,
                n.x, y * n.y - offset, half);
  }
  return out;
}

int mirror_partner(int landmark) {
  FACEMIRROR_CHECK(landmark >= 0 && landmark < landmark_count, "landmark index out of range");
  // Pairs of the 68-point scheme (iBUG 300-W), each listed from the image-left point.
  static const std::array<int, landmark_count> partner = [] {
    std::array<int, landmark_count> p{};
    for (int i = 0; i < landmark_count; ++i)
      p[i] = i;
    auto pair = [&p](int a, int b) {
      p[a] = b;
      p[b] = a;
    };
    for (int i = 0; i < 8; ++i)
      pair(i, 16 - i);  // jaw
    for (int i = 0; i < 5; ++i)
      pair(17 + i, 26 - i);  // brows
    pair(31, 35);
    pair(32, 34);  // nostrils
    for (int i = 0; i < 4; ++i)
      pair(36 + i, 45 - i);  // upper eyelids and corners
    pair(40, 47);
    pair(41, 46);  // lower eyelids
    for (int i = 0; i < 3; ++i)
      pair(48 + i, 54 - i);  // outer upper lip
    pair(55, 59);
    pair(56, 58);  // outer lower lip
    pair(60, 64);
    pair(61, 63);
    pair(65, 67);  // inner lip
    return p;
  }();
  return partner[landmark];
}

double landmark_asymmetry(const landmarks_2d& landmarks) {
  // The least-squares reflection taking every landmark onto its partner: the partners are a
  // permutation of the same points, so the reflection fixes their centroid, and its angle
  // maximises tr(Q H) for the cross-covariance H of points and partners (orthogonal
  // Procrustes restricted to reflections, which in 2-D has this closed form).
  const cv::Point2d centroid = landmark_centroid(landmarks);
  double h11 = 0, h12 = 0, h21 = 0, h22 = 0;
  for (int i = 0; i < landmark_count; ++i) {
    const cv::Point2d p = landmarks[i] - centroid;
    const cv::Point2d q = landmarks[mirror_partner(i)] - centroid;
    h11 += p.x * q.x;
    h12 += p.x * q.y;
    h21 += p.y * q.x;
    h22 += p.y * q.y;
  }
  const double width = cv::norm(landmarks[0] - landmarks[16]);
  if (!(width > 0))
    return 0.0;
  const double twice_angle = std::atan2(h12 + h21, h11 - h22);
  const double c = std::cos(twice_angle), s = std::sin(twice_angle);
  double total = 0;
  for (int i = 0; i < landmark_count; ++i) {
    const cv::Point2d p = landmarks[i] - centroid;
    const cv::Point2d reflected(c * p.x + s * p.y, s * p.x - c * p.y);
    total += cv::norm(reflected + centroid - landmarks[mirror_partner(i)]);
  }
  return total / landmark_count / width;
}

double mirroring_yaw_deg(const head_pose& pose) {
  constexpr double degrees_per_radian = 180.0 / 3.14159265358979323846;
  return (pose.ry - std::atan2(pose.tx, pose.tz)) * degrees_per_radian;
}

yaw_quality classify_yaw(double yaw_deg) {
  const double a = std::abs(yaw_deg);
  if (a <= 3.0)
    return yaw_quality::good;
  if (a <= 5.0)
    return yaw_quality::acceptable;
  return yaw_quality::poor;
}

const char* describe(yaw_quality quality) {
  switch (quality) {
    case yaw_quality::good:
      return "OPTIMAL HEAD ROTATION FOR MIRRORING";
    case yaw_quality::acceptable:
      return "ACCEPTABLE HEAD ROTATION";
    case yaw_quality::poor:
      break;
  }
  return "EXCESSIVE HEAD ROTATION - MIRRORING AFFECTED";
}

cv::Mat draw_debug_frame(const cv::Mat& bgr, const std::optional<midline>& line,
                         const landmarks_2d* landmarks, double yaw_deg) {
  cv::Mat out = bgr.clone();
  // Sized for a 720-line frame and scaled with the frame, so that the banner reads the same on a
  // 4K recording as on a webcam's (and never smaller than a 576-line frame's).
  const double scale = std::max(0.8, out.rows / 720.0);
  const auto scaled = [scale](double size) {
    return std::max(1, static_cast<int>(std::lround(size * scale)));
  };
  cv::Scalar colour(0, 0, 255);
  std::string text = "NO FACE: FRAME COPIED UNCHANGED";
  if (line) {
    const yaw_quality quality = classify_yaw(yaw_deg);
    colour = quality == yaw_quality::good         ? cv::Scalar(0, 150, 0)
             : quality == yaw_quality::acceptable ? cv::Scalar(0, 165, 255)
                                                  : cv::Scalar(0, 0, 255);
    char yaw[32];
    std::snprintf(yaw, sizeof(yaw), "  (yaw %.1f deg)", yaw_deg);
    text = std::string(describe(quality)) + yaw;
    // Extend the midline by the frame diagonal both ways so it crosses the whole image.
    const cv::Point2d axis = line->chin - line->glabella;
    const double extend = std::hypot(out.cols, out.rows) / std::max(cv::norm(axis), 1e-6);
    cv::line(out, line->glabella - axis * extend, line->chin + axis * extend, cv::Scalar(0, 0, 255),
             scaled(2), cv::LINE_AA);
    if (landmarks != nullptr) {
      for (const auto& p : *landmarks)
        cv::circle(out, p, scaled(2), cv::Scalar(0, 255, 255), -1, cv::LINE_AA);
    }
    cv::circle(out, line->glabella, scaled(4), cv::Scalar(0, 255, 0), -1, cv::LINE_AA);
    cv::circle(out, line->chin, scaled(4), cv::Scalar(0, 255, 0), -1, cv::LINE_AA);
  }
  const int banner = scaled(30);
  const int margin = scaled(8);
  const int thickness = scaled(1);
  double font = 0.55 * scale;
  int baseline = 0;
  cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font, thickness, &baseline);
  if (size.width > out.cols - 2 * margin) {  // a narrow frame: the whole line, smaller
    font *= std::max(1.0, static_cast<double>(out.cols - 2 * margin)) / size.width;
    size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font, thickness, &baseline);
  }
  cv::rectangle(out, cv::Rect(0, 0, out.cols, std::min(banner, out.rows)), colour, cv::FILLED);
  cv::putText(out, text, cv::Point(margin, (banner + size.height) / 2), cv::FONT_HERSHEY_SIMPLEX,
              font, cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
  return out;
}

}  // namespace facemirror
