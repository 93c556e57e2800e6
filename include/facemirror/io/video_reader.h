#pragma once
// Video decoding through FFmpeg's libraries (libavformat/libavcodec/libswscale).
//
// WHAT THIS REPRESENTS
//   video_info: what one demux pass learns about a file without decoding it: every frame's
//   presentation time (so rows == frames the container shows, B-frames sorted into
//   presentation order, edit-list lead-in excluded), the key frames (for seeking), upright
//   size and rotation.
//   video_reader: an open decoder positioned anywhere in the file, yielding upright 8-bit BGR
//   frames with their 0-based index and timestamp from the table. Pixels are converted as
//   cv::VideoCapture converts them (swscale, bicubic), so with the same libav they are
//   bit-identical to what OpenFace read (tested on the shared sample videos).
//
// ROTATION
//   rotation_deg and flipped come from the stream's display matrix (or the legacy "rotate" tag
//   when there is none) and give the picture a player shows, as ffmpeg's own autorotate does:
//   a matrix that mirrors the picture is applied as a mirror (a left-right flip after the
//   rotation), not taken for a half turn.
//
// THREAD SAFETY
//   video_info is a value. A video_reader is used by one thread at a time; open one per
//   worker to decode different segments of the same file concurrently. The first call into this
//   module sets libav's log level to quiet, process-wide, so our error is the only output.
//
// ERRORS
//   A missing, empty or unreadable file throws error(io); a non-video file, one without a video
//   stream or decoder, or a truncated or corrupt one throws error(codec). The message is one
//   line naming the file and the reason; a frame it names is numbered from 1, as the CSVs
//   number it. Truncation is caught by probe_video() when the header
//   lists more frames than the file holds (MP4, AVI), when every stream ends more than a quarter
//   second (or 2%) before the duration a header without a frame count declares (Matroska,
//   WebM), or when the last packet is short: a caller never gets fewer frames than
//   frame_count() without an error. (A file cut between packets in a format whose header
//   declares neither, such as MPEG-TS or Y4M, is indistinguishable from a shorter video.)
//   Damaged data inside a complete file (a few broken bytes in a recording) does not stop the
//   decode, as it stops neither ffmpeg nor OpenCV (OpenFace's reader): the frames it touches
//   come out as the decoder conceals them, or black where it gives none, each marked
//   (video_frame::damage), so every listed frame still has its row.
//   After read() throws, only destroy the reader.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "facemirror/error.h"
#include "facemirror/types.h"

namespace facemirror {

/// How a stream's Y'CbCr values are to be shown: ITU-T H.273 code points (the numbers of
/// libav's AVColorSpace, AVColorPrimaries and AVColorTransferCharacteristic); 2 is
/// "unspecified", which a player takes as BT.601 for SD and BT.709 for HD.
struct colour_description {
  int matrix = 2;
  int primaries = 2;
  int transfer = 2;
  [[nodiscard]] bool operator==(const colour_description& o) const {
    return matrix == o.matrix && primaries == o.primaries && transfer == o.transfer;
  }
};

struct video_info {
  std::filesystem::path path;
  int width = 0;  // upright size, after rotation
  int height = 0;
  int rotation_deg = 0;    // clockwise rotation applied to decoded frames: 0, 90, 180 or 270
  bool flipped = false;    // then mirrored left-right (a display matrix with a reflection)
  double average_fps = 0;  // from the container (what OpenCV reports as CAP_PROP_FPS)
  /// True when every frame's PTS lies within half a frame of the nominal grid index/average_fps.
  /// timestamps_s is then that grid (OpenFace's convention: it writes frame/fps, so this is what
  /// makes our CSVs match, e.g. for ASF's millisecond-jittered PTS); otherwise it is the PTS.
  bool constant_frame_rate = false;
  /// Presentation time of every frame in presentation order, seconds, first frame at 0.
  std::vector<double> timestamps_s;
  /// Indices (into timestamps_s) of frames that decoding can start from.
  std::vector<int64_t> keyframe_indices;
  /// Raw presentation time of every frame, sorted, in the stream's time base; empty when the
  /// container stores none. video_reader maps decoded frames back to indices through it.
  std::vector<int64_t> pts;
  /// How far the stream stores frames out of presentation order (B-frames): the most frames
  /// after a frame's place that a frame decoded before it is shown (a frame may refer to such
  /// a one). 0 without reordering; -1 unknown (a file without timestamps whose codec says it
  /// reorders).
  int reorder_depth = 0;
  /// Video streams in the file, cover pictures not counted (1 for a frame folder). The first is
  /// the one read, as OpenCV, so OpenFace 2.2, reads a file; the others are not.
  int video_streams = 1;
  /// The container's comment tag ("" when none). The mirror job marks its mirrored videos here.
  std::string comment;
  /// The stream's colour tags (all unspecified for a frame folder; so are an RGB stream's matrix,
  /// YCgCo and code points H.264 cannot carry). Frames are decoded to BGR
  /// and encoded back with one matrix (swscale's, as OpenCV and so OpenFace decode), so the
  /// Y'CbCr values of the videos facemirror writes are the source's: they carry these tags.
  colour_description colour;
  /// A frame folder (OpenFace's -fdir): one image file per frame, in name order; empty for a
  /// video file. Its frames are all key frames and all at time 0, as OpenFace writes them.
  /// Each frame is read at its own size; width and height are the first one's (the camera's).
  std::vector<std::filesystem::path> frame_files;

  [[nodiscard]] int64_t frame_count() const { return static_cast<int64_t>(timestamps_s.size()); }
  /// Whether decoded frames are turned or mirrored to show them as a player does.
  [[nodiscard]] bool reoriented() const { return rotation_deg != 0 || flipped; }
};

/// The extensions a folder's video files are recognised by (lower case, with the dot): the
/// common containers, camcorders' and broadcast MPEG-TS (.mts, .m2ts, .ts), phones' .3gp,
/// DVD .vob, MXF, DV, Ogg, raw .y4m. Any file FFmpeg reads can still be named directly.
[[nodiscard]] const std::vector<std::string>& video_extensions();
/// Whether `file`'s extension, in any case, is one of video_extensions().
[[nodiscard]] bool is_video_file(const std::filesystem::path& file);
/// Whether `file`'s name starts with a dot: hidden on Unix, and the "._NAME" AppleDouble
/// companions macOS leaves beside every file copied to exFAT or a network drive (4 KB, not a
/// video). Folder listings (videos, frames, photographs) leave them out; named, they are read.
[[nodiscard]] bool is_hidden_file(const std::filesystem::path& file);

/// Reads the container once (packets only, no decoding) and returns its frame table.
/// Throws facemirror::error if the file is missing, empty, not a video, holds no frames, or is
/// visibly truncated (fewer packets than its header lists, streams ending well before the
/// duration it declares, or a short/corrupt packet).
/// A folder is a frame folder: every image file directly inside it (is_image_file), sorted by
/// name, one per frame (the first one is read for the size); error(io) when it holds none.
[[nodiscard]] video_info probe_video(const std::filesystem::path& path);

/// The frame count the container's header announces (its stream's frame count, else its
/// duration at the nominal frame rate): a planning estimate that reads the header and the few
/// packets libav needs for stream info, not the whole file as probe_video() does. It may differ
/// from probe_video().frame_count() (it is what the file claims); the same file always gives
/// the same number. Throws like probe_video() for a file that cannot be opened as a video.
[[nodiscard]] int64_t header_frame_count(const std::filesystem::path& path);

struct video_reader_options {
  /// libav decoding threads. 1 by default: the pipeline already decodes segments in parallel,
  /// one reader each. 0 lets libav choose (one per core); an unknown reorder_depth, one.
  /// Damaged data makes threads a problem: libavcodec's threads race as they patch it over, so
  /// the patched pixels differ from run to run. A reader with more than one thread therefore
  /// throws damaged_for_threads when it meets damage, before it returns any frame that may
  /// depend on it (it decodes reorder_depth frames ahead to see those shown after it): decode
  /// that stretch again with one thread, which patches it the same way every time and gives
  /// every undamaged frame the same pixels as threads do.
  int decoder_threads = 1;
};

/// What a reader decoding on several threads throws at damaged data (see video_reader_options).
class damaged_for_threads : public error {
 public:
  explicit damaged_for_threads(const std::filesystem::path& file)
      : error(error_code::codec, "'" + file.string() +
                                     "': damaged data, which only a single-threaded decoder "
                                     "patches the same way every time") {}
};

class video_reader {
 public:
  /// Opens the file for decoding. `info` must come from probe_video() on the same file.
  explicit video_reader(video_info info, video_reader_options options = {});
  ~video_reader();
  video_reader(video_reader&&) noexcept;
  video_reader& operator=(video_reader&&) noexcept;
  video_reader(const video_reader&) = delete;
  video_reader& operator=(const video_reader&) = delete;

  [[nodiscard]] const video_info& info() const;

  /// Positions the reader so that the next read() returns frame `index` (seeks to the
  /// nearest earlier key frame and decodes forward, or just decodes forward when that is
  /// closer). The frames are bit-identical to those of a sequential read from frame 0: when the
  /// container's seek lands past the target, the reader restarts from the beginning.
  /// index == frame_count() positions at the end; anything outside [0, frame_count()] throws
  /// error(invalid_argument).
  void seek(int64_t index);

  /// Decodes the next frame in presentation order; std::nullopt at the end of the stream.
  /// Returns every frame the probe counted, in order: one decoded from damaged data is marked
  /// frame_damage::concealed, one the decoder gave nothing for (damaged data, a frame it
  /// skips) is a black frame marked frame_damage::missing. The marks, like the pixels, are
  /// the same however the reader got there (seek or sequential read). A failing demuxer or
  /// decoder (not damaged data) throws error(codec), as does a video file whose frame size
  /// changes mid-stream. In a frame folder each image comes at its own size (OpenFace reads
  /// them so), and one that cannot be read throws error(io or codec) naming it.
  [[nodiscard]] std::optional<video_frame> read();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace facemirror
