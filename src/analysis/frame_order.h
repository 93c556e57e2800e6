#pragma once
// What a video session checks of each frame it is given: one video's frames, in time order.

#include <opencv2/core.hpp>

namespace facemirror::detail {

/// Throws error(invalid_argument), the message starting with `who` ("video_session"), for an
/// empty frame or one not 8-bit of 1, 3 or 4 channels and, unless it is the video's `first`,
/// for a timestamp that is not finite or is earlier than the frame before's (equal is fine: a
/// frame folder's are all 0; that message names `restart`, "finish()", the call that starts a
/// session's next video). The size may change from frame to frame, as a frame folder's
/// images may: OpenFace 2.2 reads each as it is, with the first one's camera.
void check_next_frame(const char* who, const char* restart, const cv::Mat& bgr, double timestamp_s,
                      bool first, double previous_timestamp_s);

}  // namespace facemirror::detail
