#pragma once
// Private to src/io/: when each frame of an output video is shown, derived from the source's
// probe so the output keeps the source's timing (see video_writer.h, TIMING).

extern "C" {
#include <libavutil/mathematics.h>
#include <libavutil/rational.h>
}

#include <cstdint>
#include <vector>

#include "facemirror/io/video_reader.h"

namespace facemirror::io_detail {

struct output_clock {
  AVRational time_base{1, 1};   // unit of pts and duration
  AVRational frame_rate{0, 1};  // nominal rate; for a variable-rate source only a hint
  std::vector<int64_t> pts;     // per frame, strictly increasing, first frame at 0
  std::vector<int64_t> duration;

  /// How long the frame shown at `frame_pts` lasts; 0 for a pts that is not a frame's.
  [[nodiscard]] int64_t duration_at(int64_t frame_pts) const;
};

/// The exact rational behind a container's rate (59.94... -> 60000/1001); {0, 1} if fps <= 0.
AVRational rational_rate(double fps);

/// Constant rate: time base 1/rate (the source's rational rate, e.g. 1001/60000), pts = index.
/// Variable rate: the source's PTS relative to its first frame, in the source's time base
/// (recovered from pts[] and timestamps_s); if that cannot be recovered exactly, timestamps_s
/// on a 1/90000 s clock. `timing` must hold at least one frame.
output_clock make_output_clock(const video_info& timing);

}  // namespace facemirror::io_detail
