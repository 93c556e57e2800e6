// The MTCNN cascade (Zhang et al. 2016): PNet over an image pyramid, then RNet and ONet.
#include "facemirror/detect/mtcnn_detector.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"

namespace facemirror {

namespace {

struct candidate {
  double x1, y1, x2, y2;  // corners in frame pixels (x2, y2 exclusive)
  double score;
  cv::Vec4f reg;  // box regression: corner offsets relative to width/height
};

double face_probability(float non_face, float face) {
  return 1.0 / (1.0 + std::exp(double(non_face) - double(face)));  // 2-way softmax
}

// Greedy non-maximum suppression; overlap is IoU, or intersection over the smaller box.
std::vector<candidate> nms(std::vector<candidate> boxes, double threshold, bool use_min) {
  std::sort(boxes.begin(), boxes.end(),
            [](const candidate& a, const candidate& b) { return a.score > b.score; });
  std::vector<candidate> kept;
  std::vector<bool> dropped(boxes.size(), false);
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    if (dropped[i])
      continue;
    const candidate& a = boxes[i];
    kept.push_back(a);
    const double area_a = (a.x2 - a.x1) * (a.y2 - a.y1);
    for (std::size_t j = i + 1; j < boxes.size(); ++j) {
      const candidate& b = boxes[j];
      const double iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
      const double ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
      if (iw <= 0 || ih <= 0)
        continue;
      const double inter = iw * ih, area_b = (b.x2 - b.x1) * (b.y2 - b.y1);
      const double o =
          use_min ? inter / std::min(area_a, area_b) : inter / (area_a + area_b - inter);
      if (o > threshold)
        dropped[j] = true;
    }
  }
  return kept;
}

void regress_and_square(std::vector<candidate>& boxes, bool square) {
  for (candidate& c : boxes) {
    const double w = c.x2 - c.x1, h = c.y2 - c.y1;
    const cv::Vec4f& r = c.reg;
    c.x1 += r[0] * w;
    c.y1 += r[1] * h;
    c.x2 += r[2] * w;
    c.y2 += r[3] * h;
    if (square) {
      const double side = std::max(c.x2 - c.x1, c.y2 - c.y1);
      const double cx = (c.x1 + c.x2) / 2, cy = (c.y1 + c.y2) / 2;
      c = {cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2, c.score, c.reg};
    }
  }
}

// The box's pixels (zero outside the frame) resized to size x size.
cv::Mat crop(const cv::Mat& image, const candidate& c, int size) {
  const cv::Rect box(int(std::lround(c.x1)), int(std::lround(c.y1)),
                     std::max(1, int(std::lround(c.x2 - c.x1))),
                     std::max(1, int(std::lround(c.y2 - c.y1))));
  cv::Mat patch(box.size(), image.type(), cv::Scalar::all(0));
  const cv::Rect inside = box & cv::Rect(0, 0, image.cols, image.rows);
  if (inside.area() > 0)
    image(inside).copyTo(patch(inside - box.tl()));
  cv::Mat out;
  cv::resize(patch, out, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  return out;
}

// Runs a 24 or 48 px net on every box; keeps those above threshold with their regression.
std::vector<candidate> refine(const mtcnn_net& net, const cv::Mat& image,
                              const std::vector<candidate>& boxes, int size, double threshold) {
  std::vector<candidate> kept;
  for (const candidate& c : boxes) {
    const std::vector<cv::Mat> out = net.forward(crop(image, c, size));
    if (out.size() < 6)
      continue;
    candidate k = c;
    k.score = face_probability(out[0].at<float>(0), out[1].at<float>(0));
    k.reg = {out[2].at<float>(0), out[3].at<float>(0), out[4].at<float>(0), out[5].at<float>(0)};
    if (k.score >= threshold)
      kept.push_back(k);
  }
  return kept;
}

}  // namespace

mtcnn_detector mtcnn_detector::load(const std::string& dir, mtcnn_options options) {
  if (!(options.min_face_px >= 12.0) || !(options.pyramid_factor > 0.1) ||
      !(options.pyramid_factor < 1.0))
    throw error(error_code::invalid_argument,
                "mtcnn_detector: min_face_px must be >= 12, pyramid_factor in (0.1, 1)");
  mtcnn_detector d;
  d.pnet_ = mtcnn_net::load(dir + "/PNet.dat");
  d.rnet_ = mtcnn_net::load(dir + "/RNet.dat");
  d.onet_ = mtcnn_net::load(dir + "/ONet.dat");
  d.options_ = options;
  return d;
}

std::vector<face_detection> mtcnn_detector::detect(const cv::Mat& bgr) const {
  if (bgr.empty())
    return {};
  if (bgr.depth() != CV_8U || (bgr.channels() != 1 && bgr.channels() != 3))
    throw error(error_code::invalid_argument, "mtcnn_detector: expects 8-bit BGR or grey");
  cv::Mat rgb;
  if (bgr.channels() == 1)
    cv::cvtColor(bgr, rgb, cv::COLOR_GRAY2RGB);
  else
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::Mat image;
  rgb.convertTo(image, CV_32FC3, 1.0 / 128.0, -127.5 / 128.0);

  // Stage 1: PNet is a 12 px detector with stride 2 applied to every pyramid level.
  std::vector<candidate> proposals;
  for (double scale = 12.0 / options_.min_face_px; std::min(image.rows, image.cols) * scale >= 12.0;
       scale *= options_.pyramid_factor) {
    cv::Mat level;
    cv::resize(image, level,
               cv::Size(int(std::ceil(image.cols * scale)), int(std::ceil(image.rows * scale))), 0,
               0, cv::INTER_AREA);
    const std::vector<cv::Mat> out = pnet_.forward(level);
    if (out.size() < 6)
      continue;
    std::vector<candidate> found;
    for (int y = 0; y < out[0].rows; ++y)
      for (int x = 0; x < out[0].cols; ++x) {
        const double p = face_probability(out[0].at<float>(y, x), out[1].at<float>(y, x));
        if (p < options_.pnet_threshold)
          continue;
        found.push_back({2 * x / scale,
                         2 * y / scale,
                         (2 * x + 12) / scale,
                         (2 * y + 12) / scale,
                         p,
                         {out[2].at<float>(y, x), out[3].at<float>(y, x), out[4].at<float>(y, x),
                          out[5].at<float>(y, x)}});
      }
    found = nms(std::move(found), 0.5, false);
    proposals.insert(proposals.end(), found.begin(), found.end());
  }
  proposals = nms(std::move(proposals), 0.7, false);
  regress_and_square(proposals, true);

  // Stage 2 and 3: RNet (24 px) and ONet (48 px) re-score and refine.
  std::vector<candidate> boxes = refine(rnet_, image, proposals, 24, options_.rnet_threshold);
  boxes = nms(std::move(boxes), 0.7, false);
  regress_and_square(boxes, true);
  boxes = refine(onet_, image, boxes, 48, options_.onet_threshold);
  regress_and_square(boxes, false);
  boxes = nms(std::move(boxes), 0.7, true);

  std::vector<face_detection> faces;
  for (const candidate& c : boxes)
    faces.push_back({cv::Rect2d(c.x1, c.y1, c.x2 - c.x1, c.y2 - c.y1), c.score});
  return faces;  // nms() left them most probable first
}

cv::Rect2d mtcnn_box_to_clnf(const cv::Rect2d& box) {
  return {box.x - 0.0075 * box.width, box.y + 0.2459 * box.height, 1.0323 * box.width,
          0.7751 * box.height};
}

}  // namespace facemirror
