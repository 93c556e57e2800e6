// The MTCNN cascade (Zhang et al. 2016): PNet over an image pyramid, then RNet and ONet.
#include "facemirror/detect/mtcnn_detector.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"

namespace facemirror {

namespace {

// Box arithmetic follows OpenFace's FaceDetectorMTCNN::DetectFaces step by step, in float as
// it does (integer truncation and rounding included), so that the box CLNF starts from is the
// same one: a pixel of difference in the box moves the first fitted frames by a fraction of a
// pixel.
struct candidate {
  float x, y, w, h;  // frame pixels
  float score;
  cv::Vec4f reg;  // box regression: corner offsets relative to width/height
};

double face_probability(float non_face, float face) {
  return 1.0 / (1.0 + std::exp(double(non_face) - double(face)));  // 2-way softmax
}

// OpenCV's Rect_<float> -> Rect conversion (round to nearest), used by OpenFace's overlap test
// and box correction.
cv::Rect rounded(const candidate& c) {
  return {cvRound(c.x), cvRound(c.y), cvRound(c.w), cvRound(c.h)};
}

// Greedy non-maximum suppression in OpenFace's order: highest score first (the later of equal
// scores first); overlap of the rounded boxes as IoU, or as intersection over the smaller box.
std::vector<candidate> nms(const std::vector<candidate>& boxes, double threshold, bool use_min) {
  std::vector<std::size_t> order(boxes.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return boxes[a].score < boxes[b].score; });
  std::vector<candidate> kept;
  while (!order.empty()) {
    const candidate& a = boxes[order.back()];
    order.pop_back();
    const cv::Rect ra = rounded(a);
    std::vector<std::size_t> rest;
    for (std::size_t j : order) {
      const cv::Rect rb = rounded(boxes[j]);
      const float inter = float((ra & rb).area());
      const float denom =
          use_min ? float(std::min(ra.area(), rb.area())) : float(ra.area() + rb.area()) - inter;
      if (!(inter / denom > threshold))
        rest.push_back(j);
    }
    order = std::move(rest);
    kept.push_back(a);
  }
  return kept;
}

// Applies each box's regression to its rounded box (one pixel larger for ONet's, `add1`).
void regress(std::vector<candidate>& boxes, bool add1) {
  for (candidate& c : boxes) {
    cv::Rect b = rounded(c);
    if (add1) {
      ++b.width;
      ++b.height;
    }
    const float x1 = b.x + c.reg[0] * b.width, y1 = b.y + c.reg[1] * b.height;
    const float x2 = b.x + b.width + b.width * c.reg[2];
    const float y2 = b.y + b.height + b.height * c.reg[3];
    c.x = x1;
    c.y = y1;
    c.w = x2 - x1;
    c.h = y2 - y1;
  }
}

// Squares each box about its centre, truncating corner and side to whole pixels.
void square(std::vector<candidate>& boxes) {
  for (candidate& c : boxes) {
    const float side = std::max(c.w, c.h);
    const float x = float(c.x + 0.5 * (c.w - side)), y = float(c.y + 0.5 * (c.h - side));
    c.x = float(int(x));
    c.y = float(int(y));
    c.w = c.h = float(int(side));
  }
}

// OpenFace's input normalisation: (pixel - 127.5) / 128 on every channel.
void normalise(cv::Mat& image) {
  cv::subtract(image, cv::Scalar::all(127.5), image);
  image *= 0.0078125;
}

// OpenFace's crop of a (whole-pixel) box: (w + 1) x (h + 1) pixels from (x - 1, y - 1), zero
// (black) outside the frame, resized to size x size and normalised to [-1, 1].
cv::Mat crop(const cv::Mat& image, const candidate& c, int size) {
  const int w = int(c.w) + 1, h = int(c.h) + 1, x = int(c.x), y = int(c.y);
  cv::Mat patch(h, w, CV_32FC3, cv::Scalar::all(0));
  const cv::Rect box(x - 1, y - 1, w, h);
  const cv::Rect inside = box & cv::Rect(0, 0, image.cols, image.rows);
  if (inside.area() > 0)
    image(inside).copyTo(patch(inside - box.tl()));
  cv::Mat out;
  cv::resize(patch, out, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  normalise(out);
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
    k.score = float(face_probability(out[0].at<float>(0), out[1].at<float>(0)));
    k.reg = {out[2].at<float>(0), out[3].at<float>(0), out[4].at<float>(0), out[5].at<float>(0)};
    if (k.score >= float(threshold))
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
  return detect(bgr, options_.min_face_px);
}

std::vector<face_detection> mtcnn_detector::detect(const cv::Mat& bgr, double min_face_px) const {
  if (!(min_face_px >= 12.0))
    throw error(error_code::invalid_argument, "mtcnn_detector: min_face_px must be 12 or more");
  if (bgr.empty())
    return {};
  if (bgr.depth() != CV_8U || (bgr.channels() != 1 && bgr.channels() != 3 && bgr.channels() != 4))
    throw error(error_code::invalid_argument, "mtcnn_detector: expects 8-bit BGR, BGRA or grey");
  // The nets take RGB; pixels stay in [0, 255] until each net's input is normalised.
  cv::Mat rgb;
  const int to_rgb = bgr.channels() == 1   ? cv::COLOR_GRAY2RGB
                     : bgr.channels() == 4 ? cv::COLOR_BGRA2RGB
                                           : cv::COLOR_BGR2RGB;
  cv::cvtColor(bgr, rgb, to_rgb);
  cv::Mat image;
  rgb.convertTo(image, CV_32FC3);
  rgb.release();  // a 4K frame's 33 MB, while the pyramid is built

  // Stage 1: PNet is a 12 px detector with stride 2 applied to every pyramid level, from the
  // smallest face searched for up to the frame's shorter side.
  const int min_dim = std::min(image.rows, image.cols);
  const int levels =
      int(std::floor(std::log(min_face_px / min_dim) / std::log(options_.pyramid_factor))) + 1;
  std::vector<candidate> proposals;
  for (int i = 0; i < levels; ++i) {
    const double scale = 12.0 / min_face_px * std::pow(options_.pyramid_factor, i);
    cv::Mat level;
    cv::resize(image, level,
               cv::Size(int(std::ceil(image.cols * scale)), int(std::ceil(image.rows * scale))), 0,
               0, cv::INTER_LINEAR);
    normalise(level);
    const std::vector<cv::Mat> out = pnet_.forward(level);
    if (out.size() < 6)
      continue;
    const float s = float(scale);
    std::vector<candidate> found;
    for (int x = 0; x < out[0].cols; ++x)
      for (int y = 0; y < out[0].rows; ++y) {
        const float p = float(face_probability(out[0].at<float>(y, x), out[1].at<float>(y, x)));
        if (p < float(options_.pnet_threshold))
          continue;
        const float x1 = float(int((2 * x + 1) / s)), x2 = float(int((2 * x + 12) / s));
        const float y1 = float(int((2 * y + 1) / s)), y2 = float(int((2 * y + 12) / s));
        found.push_back({x1,
                         y1,
                         x2 - x1,
                         y2 - y1,
                         p,
                         {out[2].at<float>(y, x), out[3].at<float>(y, x), out[4].at<float>(y, x),
                          out[5].at<float>(y, x)}});
      }
    found = nms(found, 0.5, false);
    proposals.insert(proposals.end(), found.begin(), found.end());
  }
  proposals = nms(proposals, 0.7, false);
  regress(proposals, false);
  square(proposals);

  // Stage 2 and 3: RNet (24 px) and ONet (48 px) re-score and refine.
  std::vector<candidate> boxes = refine(rnet_, image, proposals, 24, options_.rnet_threshold);
  boxes = nms(boxes, 0.7, false);
  regress(boxes, false);
  square(boxes);
  boxes = refine(onet_, image, boxes, 48, options_.onet_threshold);
  regress(boxes, true);
  boxes = nms(boxes, 0.7, true);

  std::vector<face_detection> faces;
  for (const candidate& c : boxes)
    faces.push_back({cv::Rect2d(c.x, c.y, c.w, c.h), c.score});
  return faces;  // nms() left them most probable first
}

cv::Rect2d mtcnn_box_to_clnf(const cv::Rect2d& box) {
  return {box.x - 0.0075 * box.width, box.y + 0.2459 * box.height, 1.0323 * box.width,
          0.7751 * box.height};
}

}  // namespace facemirror
