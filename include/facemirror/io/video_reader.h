#pragma once
// Video decoding through FFmpeg's libraries (libavformat/libavcodec/libswscale).
//
// WHAT THIS REPRESENTS
//   video_info: what one demux pass learns about a file without decoding it: every frame's
//   presentation time (so rows == container frames and timestamps come from the stream, not
//   from frame/fps), the key frames (for seeking), size and rotation.
//   video_reader: an open decoder positioned anywhere in the file, yielding upright BGR frames
//   with their 0-based index and PTS-derived timestamp.
//
// THREAD SAFETY
//   video_info is a value. A video_reader is used by one thread at a time; open one per
//   worker to decode different segments of the same file concurrently.
//
// ERRORS
//   Opening a missing, empty, truncated or non-video file throws facemirror::error
//   (io or codec) whose message names the file and the reason.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "facemirror/types.h"

namespace facemirror {

struct video_info {
  std::filesystem::path path;
  int width = 0;          // upright size, after rotation
  int height = 0;
  int rotation_deg = 0;   // clockwise rotation applied to decoded frames: 0, 90, 180 or 270
  double average_fps = 0; // from the container; informational (timestamps do not use it)
  /// Presentation time of every frame in presentation order, seconds, first frame at 0.
  std::vector<double> timestamps_s;
  /// Indices (into timestamps_s) of frames that decoding can start from.
  std::vector<int64_t> keyframe_indices;

  [[nodiscard]] int64_t frame_count() const { return static_cast<int64_t>(timestamps_s.size()); }
};

/// Reads the container once (packets only, no decoding) and returns its frame table.
/// Throws facemirror::error if the file is missing, empty, not a video, or holds no frames.
[[nodiscard]] video_info probe_video(const std::filesystem::path& path);

class video_reader {
 public:
  /// Opens the file for decoding. `info` must come from probe_video() on the same file.
  explicit video_reader(video_info info);
  ~video_reader();
  video_reader(video_reader&&) noexcept;
  video_reader& operator=(video_reader&&) noexcept;
  video_reader(const video_reader&) = delete;
  video_reader& operator=(const video_reader&) = delete;

  [[nodiscard]] const video_info& info() const;

  /// Positions the reader so that the next read() returns frame `index` (seeks to the
  /// nearest earlier key frame and decodes forward).
  void seek(int64_t index);

  /// Decodes the next frame in presentation order; std::nullopt at the end of the stream.
  /// A frame the decoder cannot produce (corrupt data mid-file) throws facemirror::error(codec).
  [[nodiscard]] std::optional<video_frame> read();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace facemirror
