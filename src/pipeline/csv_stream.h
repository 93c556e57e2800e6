#pragma once
// One output CSV in the making: takes analysed frames strictly in frame order (the running
// median and AU prediction are order-dependent) and writes the finished file at the end.
//
// Memory does not grow with the video beyond the AU predictor's per-frame predictions: each
// row's fixed part is formatted at once and spilled to an anonymous temporary file ($TMPDIR,
// else /tmp; about 5 KB a frame with every column), and the
// AU columns (known only after post-processing) are appended while the file is copied out.
// Knows nothing of threads: the batch serialises calls per video.

#include <cstdint>
#include <cstdio>
#include <memory>

#include "facemirror/analysis/landmark_session.h"
#include "facemirror/output/atomic_file.h"

namespace facemirror::detail {

class csv_stream {
 public:
  /// `frame_stride`: the video's analysed frames are every frame_stride-th of the container's.
  csv_stream(const analysis_models& models, const csv_outputs& outputs, int frame_stride = 1);
  ~csv_stream();
  csv_stream(const csv_stream&) = delete;
  csv_stream& operator=(const csv_stream&) = delete;

  /// The next frame (frame order, every analysed frame of the video).
  void add(analysed_frame& frame);

  /// Runs the AU post-processing and writes header and rows to `out` (not committed).
  void write_to(atomic_file& out);

  [[nodiscard]] int64_t frames() const { return frames_; }

 private:
  std::FILE* spill_ = nullptr;
  std::unique_ptr<au_video_predictor> predictor_;
  csv_columns columns_;
  int64_t frames_ = 0;
  int frame_stride_ = 1;
  std::string row_;  // scratch
};

}  // namespace facemirror::detail
