// The dlib 68-point shape predictor (an ensemble of regression trees, Kazemi & Sullivan 2014).
//
// dlib::shape_predictor rounds its output to whole pixels. The fitted shape is continuous, and
// whole-pixel landmarks add ~0.3 px of quantisation noise and visible jitter downstream (pose,
// alignment), so the model is read into its parts (dlib's documented serialisation order) and
// the cascade is run here with dlib's own per-stage helpers, keeping sub-pixel positions.
//
// Pixel convention: against OpenFace 2.2's landmarks on the six shared videos, a constant
// shift of the dlib positions by (-0.5, -0.5) px lowered the mean distance on four of six
// videos and overall (2.87 -> 2.79 px); -0.25 and -0.75 were worse. That is the half-pixel
// difference between pixel-corner and pixel-centre coordinates in the two training sets, so
// it is applied to every prediction.
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>
#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"
#include "facemirror/landmarks/face_tracker.h"

#include "detail/dlib_bridge.h"

namespace facemirror {
namespace {
constexpr double pixel_convention_shift = -0.5;
}  // namespace

struct landmark_model::impl {
  dlib::matrix<float, 0, 1> initial_shape;  // mean shape, box-normalised (x0, y0, x1, y1, ...)
  std::vector<std::vector<dlib::impl::regression_tree>> forests;  // one forest per cascade stage
  std::vector<std::vector<unsigned long>> anchor_idx;       // per stage: feature pixel anchor point
  std::vector<std::vector<dlib::vector<float, 2>>> deltas;  // per stage: offset from its anchor
  // All leaf vectors, tree after tree, stage after stage. Adding a leaf through dlib's matrix
  // expressions goes through BLAS (Debian's dlib is built with it): a library call per tree for
  // 136 floats made prediction ~4x slower than this flat loop.
  std::vector<float> leaves;
  std::vector<size_t> leaf_offset;  // per tree (all stages in order): index into leaves

  // The file in dlib's serialisation order (version, initial shape, forests, anchors, deltas).
  // dlib reads the ~17 million leaf floats one virtual stream call and one heap matrix each,
  // then they were copied into `leaves`: over a second of every run's start-up. The leaves are
  // read here straight into `leaves`; everything else still goes through dlib's deserialisers.
  void read(std::istream& in) {
    int version = 0;
    dlib::deserialize(version, in);
    if (version != 1)
      throw dlib::serialization_error("unknown shape_predictor version");
    dlib::deserialize(initial_shape, in);
    if (initial_shape.size() % 2 != 0)
      throw dlib::serialization_error("inconsistent shape_predictor contents");
    const auto n = static_cast<unsigned long>(initial_shape.size());
    std::streambuf& buf = *in.rdbuf();
    forests.resize(read_size(in, "cascade stages"));
    for (auto& stage : forests) {
      stage.resize(read_size(in, "trees"));
      for (auto& tree : stage) {
        dlib::deserialize(tree.splits, in);
        if (read_size(in, "leaves") != tree.splits.size() + 1)
          throw dlib::serialization_error("malformed shape_predictor tree");
        if (leaves.empty())  // sized once, for stages like the first tree (growing copies it)
          leaves.reserve(forests.size() * stage.size() * (tree.splits.size() + 1) * n);
        leaf_offset.push_back(leaves.size());
        for (size_t l = 0; l <= tree.splits.size(); ++l) {
          long rows = 0, cols = 0;
          dlib::deserialize(rows, in);
          dlib::deserialize(cols, in);
          // (dlib's newer format stores the sizes negated)
          const auto len = static_cast<long>(n);
          if ((rows != len && rows != -len) || (cols != 1 && cols != -1))
            throw dlib::serialization_error("shape_predictor leaf of wrong size");
          for (size_t k = 0; k < n; ++k)  // (not resize-then-assign: zero-filling 65 MB first)
            leaves.push_back(read_float(buf, in));
        }
      }
    }
    dlib::deserialize(anchor_idx, in);
    dlib::deserialize(deltas, in);
    const auto stages = forests.size();
    if (stages == 0 || anchor_idx.size() != stages || deltas.size() != stages)
      throw dlib::serialization_error("inconsistent shape_predictor contents");
    for (size_t s = 0; s < stages; ++s) {
      if (anchor_idx[s].size() != deltas[s].size())
        throw dlib::serialization_error("inconsistent shape_predictor feature pixels");
      for (const unsigned long a : anchor_idx[s]) {
        if (static_cast<long>(a) >= initial_shape.size() / 2)
          throw dlib::serialization_error("shape_predictor anchor out of range");
      }
      for (const auto& tree : forests[s]) {
        for (const auto& split : tree.splits) {
          if (split.idx1 >= deltas[s].size() || split.idx2 >= deltas[s].size())
            throw dlib::serialization_error("shape_predictor split out of range");
        }
      }
    }
  }

  static unsigned long read_size(std::istream& in, const char* what) {
    unsigned long size = 0;
    dlib::deserialize(size, in);
    if (size > 1'000'000)  // far above any real model: a damaged count, not a huge allocation
      throw dlib::serialization_error(std::string("implausible number of ") + what);
    return size;
  }

  // One of dlib's integers: a control byte (bit 7: negative, bits 0-3: byte count), then the
  // magnitude's bytes, least significant first. sbumpc is an inline buffer read.
  template <typename T>
  static T read_int(std::streambuf& buf) {
    const int control = buf.sbumpc();
    if (control == std::char_traits<char>::eof())
      throw dlib::serialization_error("unexpected end of file");
    const int bytes = control & 0x0F;
    if (bytes == 0 || bytes > static_cast<int>(sizeof(T)))
      throw dlib::serialization_error("malformed integer");
    std::uint64_t magnitude = 0;
    for (int k = 0; k < bytes; ++k) {
      const int b = buf.sbumpc();
      if (b == std::char_traits<char>::eof())
        throw dlib::serialization_error("unexpected end of file");
      magnitude |= static_cast<std::uint64_t>(b) << (8 * k);
    }
    // (negated in unsigned arithmetic: no overflow on a damaged file)
    return static_cast<T>((control & 0x80) ? 0 - magnitude : magnitude);
  }

  // One of dlib's floats: mantissa and binary exponent as integers (exponents 32000-32002 mark
  // +inf, -inf, NaN), converted as dlib converts them, so the values are bit-identical. A byte
  // with any of bits 4-6 set starts dlib's older text format: left to dlib.
  static float read_float(std::streambuf& buf, std::istream& in) {
    if ((buf.sgetc() & 0x70) != 0) {
      float v = 0;
      dlib::deserialize(v, in);
      return v;
    }
    const auto mantissa = read_int<std::int64_t>(buf);
    const auto exponent = read_int<std::int16_t>(buf);
    if (exponent < 32000)
      return std::ldexp(static_cast<float>(mantissa), exponent);
    if (exponent == 32000)
      return std::numeric_limits<float>::infinity();
    if (exponent == 32001)
      return -std::numeric_limits<float>::infinity();
    return std::numeric_limits<float>::quiet_NaN();
  }

  template <typename image_type>
  landmarks_2d run(const image_type& image, const dlib::rectangle& box) const {
    dlib::matrix<float, 0, 1> shape = initial_shape;
    const size_t n = static_cast<size_t>(shape.size());
    float* const values = &shape(0);
    std::vector<float> pixels;
    size_t tree_index = 0;
    for (size_t s = 0; s < forests.size(); ++s) {
      dlib::impl::extract_feature_pixel_values(image, box, shape, initial_shape, anchor_idx[s],
                                               deltas[s], pixels);
      for (const auto& tree : forests[s]) {
        // Complete binary tree stored breadth-first: children of node i are 2i+1 and 2i+2.
        const size_t splits = tree.splits.size();
        size_t node = 0;
        while (node < splits) {
          const auto& split = tree.splits[node];
          node =
              pixels[split.idx1] - pixels[split.idx2] > split.thresh ? 2 * node + 1 : 2 * node + 2;
        }
        const float* leaf = &leaves[leaf_offset[tree_index++] + (node - splits) * n];
        for (size_t k = 0; k < n; ++k)
          values[k] += leaf[k];
      }
    }
    const dlib::point_transform_affine to_image = dlib::impl::unnormalizing_tform(box);
    landmarks_2d out{};
    for (int i = 0; i < landmark_count; ++i) {
      const dlib::dpoint p = to_image(dlib::impl::location(shape, static_cast<unsigned long>(i)));
      out[static_cast<size_t>(i)] =
          cv::Point2d(p.x() + pixel_convention_shift, p.y() + pixel_convention_shift);
    }
    return out;
  }
};

landmark_model::landmark_model(const std::filesystem::path& file)
    : impl_(std::make_unique<impl>()) {
  const std::string name = file.string();
  // A 1 MiB stream buffer (set before open, as libstdc++ requires): the reads are a few bytes
  // each, and the default 8 KiB one made a system call per few thousand floats.
  std::vector<char> stream_buffer(1 << 20);
  std::ifstream in;
  in.rdbuf()->pubsetbuf(stream_buffer.data(), static_cast<std::streamsize>(stream_buffer.size()));
  in.open(file, std::ios::binary);
  if (!in)
    throw error(error_code::model_format, "landmark model " + name + ": cannot open file");
  try {
    impl_->read(in);
  } catch (const std::exception& e) {  // dlib::serialization_error, std::bad_alloc on garbage
    // dlib's messages span lines; keep ours to one line that names the file.
    std::string reason = e.what();
    reason = reason.substr(0, reason.find_first_of("\r\n"));
    throw error(error_code::model_format,
                "landmark model " + name + ": not a dlib shape_predictor file (" + reason + ")");
  }
  if (impl_->initial_shape.size() != 2 * landmark_count) {
    throw error(error_code::model_format, "landmark model " + name + ": has " +
                                              std::to_string(impl_->initial_shape.size() / 2) +
                                              " points, expected 68");
  }
}

landmark_model::~landmark_model() = default;

landmarks_2d landmark_model::predict(const cv::Mat& bgr, const cv::Rect2d& face_box) const {
  detail::check_frame(bgr, "landmark_model");
  FACEMIRROR_CHECK(face_box.width >= 2 && face_box.height >= 2, "landmark_model: empty face box");
  const dlib::rectangle box = detail::to_dlib(face_box);
  // The trees compare pixel intensities; dlib reads colour as (r + g + b) / 3, as in its
  // training, so colour frames are sampled in place instead of being converted first.
  if (bgr.channels() == 3)
    return impl_->run(dlib::cv_image<dlib::bgr_pixel>(bgr), box);
  if (bgr.channels() == 1)
    return impl_->run(dlib::cv_image<unsigned char>(bgr), box);
  cv::Mat converted;
  cv::cvtColor(bgr, converted, cv::COLOR_BGRA2BGR);
  return impl_->run(dlib::cv_image<dlib::bgr_pixel>(converted), box);
}

}  // namespace facemirror
