#pragma once
// MTCNN face detection (Zhang et al. 2016) with OpenFace's PNet/RNet/ONet weights.
//
// WHAT THIS REPRESENTS
//   The three-stage cascade of the MTCNN paper: PNet scans an image pyramid and proposes
//   boxes, RNet and ONet re-score and refine the survivors on 24 and 48 px crops. The weights
//   are read from OpenFace's binary CNN files (model/mtcnn_detector/{PNet,RNet,ONet}.dat).
//   Boxes are square-ish MTCNN boxes (forehead to chin); mtcnn_box_to_clnf() maps one to the
//   box convention OpenFace uses to initialise its landmark model. The cascade's box
//   arithmetic (pyramid, integer truncation and rounding, crops, suppression order) follows
//   OpenFace 2.2's FaceDetectorMTCNN, so that CLNF started from the box reproduces OpenFace's
//   first fitted frame.
//
// THREAD SAFETY
//   detect() is const and keeps no scratch state: one detector may serve several threads.

#include <string>
#include <vector>

#include "facemirror/detect/face_detector.h"
#include "facemirror/types.h"

namespace facemirror {

/// One of OpenFace's small CNNs (conv / PReLU / max-pool / fully connected layers).
class mtcnn_net {
 public:
  /// Parses an OpenFace .dat CNN; throws error(model_format) naming the file if it is
  /// missing, truncated or malformed.
  static mtcnn_net load(const std::string& path);

  /// Runs the net on `input` (CV_32FC3, already normalised). Fully convolutional nets (no FC
  /// layer before the last) accept any size; the result has one CV_32F map (rows x cols of
  /// the output grid) per output channel. An FC layer flattens its input.
  [[nodiscard]] std::vector<cv::Mat> forward(const cv::Mat& input) const;

  struct layer {
    int type = 0;         // 0 conv, 1 max-pool, 2 fully connected, 3 PReLU
    int in = 0, out = 0;  // channels
    int kh = 0, kw = 0, stride_y = 1, stride_x = 1;
    cv::Mat weights;  // conv: (in*kh*kw) x out; FC: in x out; PReLU: 1 x channels
    cv::Mat bias;     // 1 x out
  };
  std::vector<layer> layers;
};

struct mtcnn_options {
  double min_face_px = 60.0;  // smallest face searched for, in frame pixels
  double pyramid_factor = 0.709;
  double pnet_threshold = 0.6;
  double rnet_threshold = 0.7;
  double onet_threshold = 0.7;
};

class mtcnn_detector {
 public:
  /// Loads PNet.dat, RNet.dat and ONet.dat from `dir`; throws error(model_format) naming the
  /// offending file.
  static mtcnn_detector load(const std::string& dir, mtcnn_options options = {});

  /// Faces in an 8-bit BGR, BGRA (its alpha ignored) or grey frame, most probable first; score is
  /// ONet's face probability in [0, 1].
  [[nodiscard]] std::vector<face_detection> detect(const cv::Mat& bgr) const;
  /// As detect(), searching only for faces of at least `min_face_px` (fewer, smaller pyramid
  /// levels: faster when the face's size is known).
  [[nodiscard]] std::vector<face_detection> detect(const cv::Mat& bgr, double min_face_px) const;

  [[nodiscard]] const mtcnn_options& options() const { return options_; }

 private:
  mtcnn_net pnet_, rnet_, onet_;
  mtcnn_options options_;
};

/// OpenFace's correction from an MTCNN box to the box its CLNF landmark model is initialised
/// from: x' = x - 0.0075 w, y' = y + 0.2459 h, w' = 1.0323 w, h' = 0.7751 h.
[[nodiscard]] cv::Rect2d mtcnn_box_to_clnf(const cv::Rect2d& box);

}  // namespace facemirror
