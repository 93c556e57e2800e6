#include "frame_order.h"

#include <cmath>
#include <string>

#include "facemirror/error.h"

namespace facemirror::detail {

void check_next_frame(const char* who, const char* restart, const cv::Mat& bgr, double timestamp_s,
                      bool first, double previous_timestamp_s) {
  const int channels = bgr.channels();
  if (bgr.empty() || bgr.depth() != CV_8U || (channels != 1 && channels != 3 && channels != 4))
    throw error(error_code::invalid_argument,
                std::string(who) + ": needs a non-empty 8-bit frame of 1, 3 or 4 channels");
  if (!std::isfinite(timestamp_s) || (!first && timestamp_s < previous_timestamp_s))
    throw error(error_code::invalid_argument,
                std::string(who) + ": timestamps must be finite and never decrease, not " +
                    std::to_string(timestamp_s) + " s after " +
                    std::to_string(previous_timestamp_s) + " s (" + restart +
                    " starts the next video)");
}

}  // namespace facemirror::detail
