#pragma once
// OpenFace 2.2's folder of aligned faces (FeatureExtraction -simalign, "<stem>_aligned/"):
// one image per frame, "frame_det_00_NNNNNN.bmp" (face 00, 1-based frame number, six digits):
// by default a 24-bit BMP as OpenCV writes it (54-byte header, bottom-up rows, no
// compression); with -format_aligned any format OpenCV writes, by OpenCV's own encoder.
//
// WHAT THIS REPRESENTS
//   A folder being filled. Until commit() the files live in "<target>.partial-<host>-<pid>-<n>/"
//   beside the target; commit() renames it onto the target in one step (an existing target
//   folder is swapped out atomically, then removed), so readers see the complete folder or
//   none. A folder destroyed without commit() (error, exception, interrupted run) is removed;
//   one a killed run (SIGKILL) left is removed by the next writer of the same target.
//
// THREAD SAFETY
//   One writer per folder, not shared between threads. encode_bmp is pure.

#include <cstdint>
#include <filesystem>
#include <string>

#include <opencv2/core.hpp>

namespace facemirror {

/// The bytes of a BMP file of an 8-bit BGR (or grey, written as BGR) image.
/// Throws error(invalid_argument) for any other image type or an empty image.
[[nodiscard]] std::string encode_bmp(const cv::Mat& image);

/// OpenFace's name of a frame's aligned face: frame_det_00_000001.bmp for `frame_number` 1
/// (`format` is the extension, OpenFace's -format_aligned).
[[nodiscard]] std::string aligned_face_name(int64_t frame_number, int face = 0,
                                            const std::string& format = "bmp");

/// Whether OpenCV (as OpenFace's cv::imwrite) writes images with this extension (letters and
/// digits only, no dot).
[[nodiscard]] bool can_write_image_format(const std::string& format);

/// The bytes of `image` (8-bit grey or BGR) as a `format` file: encode_bmp's for a BGR BMP,
/// otherwise OpenCV's encoder with its defaults, as OpenFace's cv::imwrite (a grey BMP is
/// 8-bit). Throws error(invalid_argument) for another image or a format OpenCV cannot write.
[[nodiscard]] std::string encode_image(const cv::Mat& image, const std::string& format);

class aligned_face_folder {
 public:
  /// Creates the temporary folder for images in `format` (see encode_image). Throws error(io)
  /// naming `target` on failure, error(invalid_argument) for a format OpenCV cannot write.
  explicit aligned_face_folder(std::filesystem::path target, std::string format = "bmp");
  ~aligned_face_folder();
  aligned_face_folder(const aligned_face_folder&) = delete;
  aligned_face_folder& operator=(const aligned_face_folder&) = delete;

  /// Writes the face of 1-based `frame_number` (see encode_image for the accepted images).
  /// Throws error(io) naming the file on failure.
  void add(int64_t frame_number, const cv::Mat& face);

  /// Moves the folder onto the target (replacing an existing one). Throws error(io) on failure.
  void commit();

  [[nodiscard]] const std::filesystem::path& temp_path() const { return temp_; }

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  std::string format_;
  bool committed_ = false;
};

}  // namespace facemirror
