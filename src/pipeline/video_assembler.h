#pragma once
// The in-order stage of one video: takes finished segments in any order, consumes their frames
// strictly in frame order (running median and AU prediction are order-dependent), and at the
// end produces the whole CSV text. Knows nothing of threads: the engine serialises calls.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "frame_analysis.h"

namespace facemirror::detail {

class video_assembler {
 public:
  video_assembler(int64_t frame_count, const shared_models& models);

  /// Hands over segment `segment` (frames in order). Returns the number of frames consumed
  /// in order by this call (0 if the segment must wait for an earlier one).
  int64_t add_segment(int64_t segment, std::vector<analysed_frame> frames);

  [[nodiscard]] bool complete() const { return consumed_ == frame_count_; }
  [[nodiscard]] int64_t successful_frames() const { return successful_; }

  /// Runs the AU post-processing and returns the CSV text. Requires complete().
  [[nodiscard]] std::string finish();

 private:
  void consume(analysed_frame& frame);

  int64_t frame_count_;
  int64_t next_segment_ = 0;
  int64_t consumed_ = 0;
  int64_t successful_ = 0;
  std::map<int64_t, std::vector<analysed_frame>> waiting_;  // the reorder buffer
  std::vector<frame_record> records_;
  std::unique_ptr<au_video_predictor> predictor_;
  csv_columns columns_;
};

}  // namespace facemirror::detail
