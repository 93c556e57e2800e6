#pragma once
// OpenFace 2.2's binary HOG file (FeatureExtraction -hogalign, "<stem>.hog").
//
// LAYOUT (little-endian, measured on OpenFace 2.2's own file, see docs/openface_outputs.md)
//   One record per video frame, in frame order, no file header:
//     int32 cell columns, int32 cell rows, int32 channels (31),
//     float32 validity (1.0: the face was tracked on this frame, 0.0: not),
//     then columns * rows * channels float32 values: cell row, then cell column, then channel
//     (the order of extract_fhog, include/facemirror/features/au_descriptors.h).
//   For OpenFace's 112x112 aligned face and cell 8 that is 12 x 12 x 31: 16 + 17856 bytes.
//
// THREAD SAFETY
//   One writer or reader per file, not shared between threads. read_hog_file is pure.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "facemirror/output/atomic_file.h"

namespace facemirror {

struct hog_record {
  int32_t cols = 0;
  int32_t rows = 0;
  int32_t channels = 0;
  bool valid = false;
  std::vector<float> values;  // rows * cols * channels
};

/// Writes a .hog file frame by frame; the file appears whole on commit() or not at all.
class hog_file_writer {
 public:
  /// Creates the temporary file. Throws error(io) naming `target` on failure.
  explicit hog_file_writer(const std::filesystem::path& target);

  /// The next frame's descriptor (`values` in cell row, cell column, channel order).
  /// Throws error(invalid_argument) when values.size() != rows * cols * channels.
  void add(const std::vector<float>& values, int rows, int cols, int channels, bool valid);

  /// Throws error(io) naming the file on failure (nothing is left behind then).
  void commit();

  [[nodiscard]] int64_t frames() const { return frames_; }

 private:
  std::unique_ptr<atomic_file> file_;
  std::string record_;  // scratch
  int64_t frames_ = 0;
};

/// Reads a .hog file one record at a time, so that a file of hours of video (about 18 kB a
/// frame) is never held in memory more than once by a caller filling its own array.
class hog_file_reader {
 public:
  /// Opens `file`. Throws error(io) naming the file when it cannot be opened.
  explicit hog_file_reader(const std::filesystem::path& file);

  /// Reads the next record into `record` (its buffer is reused); false at the end of the file.
  /// Throws error(io) naming the file and byte offset when a record is malformed or truncated.
  bool next(hog_record& record);

  /// The file's size in bytes (every record of a 12 x 12 x 31 file is 17872 bytes).
  [[nodiscard]] uint64_t size() const { return size_; }

 private:
  std::filesystem::path file_;
  std::ifstream in_;
  uint64_t size_ = 0;
  uint64_t at_ = 0;  // byte offset of the next record
};

/// Reads a whole .hog file (hog_file_reader's records, in order); throws as it does.
[[nodiscard]] std::vector<hog_record> read_hog_file(const std::filesystem::path& file);

}  // namespace facemirror
