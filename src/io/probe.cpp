// probe_video(): the frame table from one demux pass over packets (no decoding).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"

#include "io/file_extension.h"
#include "io/libav.h"

namespace facemirror {
namespace {

using io_detail::fail;

const int32_t* display_matrix(const AVStream* st) {
#if LIBAVFORMAT_VERSION_INT >= AV_VERSION_INT(60, 15, 100)
  const AVPacketSideData* sd = av_packet_side_data_get(
      st->codecpar->coded_side_data, st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  if (sd == nullptr || sd->size < 9 * sizeof(int32_t))
    return nullptr;
  return reinterpret_cast<const int32_t*>(sd->data);
#else
  size_t size = 0;
  const uint8_t* data = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (data == nullptr || size < 9 * sizeof(int32_t))
    return nullptr;
  return reinterpret_cast<const int32_t*>(data);
#endif
}

struct orientation {
  int rotation_cw = 0;   // degrees
  bool flipped = false;  // left-right, after the rotation
};

// What shows the picture as a player does (ffmpeg's own autorotate): the display matrix maps a
// stored pixel (x, y) to x' = a x + c y, y' = b x + d y (plus a shift), which for the quarter
// turns and mirrors phones and editors write is one of eight transforms. Read from the signs
// (av_display_rotation_get() alone takes a mirror for a half turn).
orientation display_orientation(const AVStream* st) {
  if (const int32_t* m = display_matrix(st)) {
    const double a = m[0], b = m[1], c = m[3], d = m[4];
    if (std::abs(a) >= std::abs(b)) {  // x' follows x: mirrors only
      const bool left_right = a < 0, up_down = d < 0;
      if (left_right && up_down)
        return {180, false};
      if (up_down)
        return {180, true};  // an upside-down mirror is a half turn mirrored
      return {0, left_right};
    }
    // x' follows y: transposed, then mirrored left-right where c < 0, up-down where b < 0.
    // A transpose is a clockwise quarter turn mirrored; with both mirrors, an anticlockwise one.
    const bool left_right = c < 0, up_down = b < 0;
    if (left_right != up_down)
      return {left_right ? 90 : 270, false};
    return {left_right ? 270 : 90, true};
  }
  double degrees = 0;
  if (const AVDictionaryEntry* tag = av_dict_get(st->metadata, "rotate", nullptr, 0))
    degrees = std::atof(tag->value);  // legacy tag, clockwise
  const long quarter_turns = std::lround(degrees / 90.0);
  return {static_cast<int>(((quarter_turns % 4) + 4) % 4) * 90, false};
}

double nominal_fps(const AVStream* st) {
  if (st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0)
    return av_q2d(st->avg_frame_rate);
  if (st->r_frame_rate.num > 0 && st->r_frame_rate.den > 0)
    return av_q2d(st->r_frame_rate);
  return 0;
}

struct packet_entry {
  int64_t ts;
  bool key;
};

// See video_info::reorder_depth. `packets` in decode order, with timestamps.
int reorder_depth(const std::vector<packet_entry>& packets) {
  std::vector<int64_t> shown;
  shown.reserve(packets.size());
  for (const packet_entry& p : packets)
    shown.push_back(p.ts);
  std::sort(shown.begin(), shown.end());
  int64_t latest_shown = -1;  // of the frames decoded so far
  int64_t depth = 0;
  for (const packet_entry& p : packets) {
    const int64_t place = std::lower_bound(shown.begin(), shown.end(), p.ts) - shown.begin();
    depth = std::max(depth, latest_shown - place);
    latest_shown = std::max(latest_shown, place);
  }
  return static_cast<int>(std::min<int64_t>(depth, std::numeric_limits<int>::max()));
}

// Presentation times relative to the first frame; snapped to index/fps when the stream is
// constant-rate (see video_info::constant_frame_rate).
void fill_timestamps(video_info& info, AVRational time_base) {
  const size_t n = info.pts.size();
  info.timestamps_s.resize(n);
  for (size_t i = 0; i < n; ++i) {
    info.timestamps_s[i] =
        static_cast<double>(info.pts[i] - info.pts[0]) * time_base.num / time_base.den;
  }
  const double fps = info.average_fps;
  info.constant_frame_rate =
      fps > 0 && std::all_of(info.timestamps_s.begin(), info.timestamps_s.end(),
                             [&, i = size_t{0}](double t) mutable {
                               return std::llround(t * fps) == static_cast<long long>(i++);
                             });
  if (info.constant_frame_rate) {
    // Same arithmetic as OpenFace (frame * (1 / fps)) so 3-decimal output is identical.
    for (size_t i = 0; i < n; ++i)
      info.timestamps_s[i] = static_cast<double>(i) * (1.0 / fps);
  }
}

// A file cut short whose header has no frame count (Matroska, WebM, fragmented MP4) still
// declares its duration there, its longest stream's: every stream ends well before it. Only
// for such headers (a duration estimated from the file as it is, as for MPEG-TS or Y4M,
// declares nothing to miss).
// `latest_end_s` is where the file's last packet of any stream ends (audio may run on past the
// video in a complete file), in seconds from time 0, from which Matroska counts its duration;
// other containers count from the first frame, so the video's own span counts too.
void fail_if_short_of_declared_duration(const io_detail::opened_input& input,
                                        const std::vector<packet_entry>& packets,
                                        double latest_end_s, const std::filesystem::path& path) {
  const AVStream* st = input.stream();
  double declared = 0;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
    declared = static_cast<double>(st->duration) * av_q2d(st->time_base);
  else if (input.format->duration > 0)
    declared = static_cast<double>(input.format->duration) / AV_TIME_BASE;
  const auto [first, last] =
      std::minmax_element(packets.begin(), packets.end(),
                          [](const packet_entry& a, const packet_entry& b) { return a.ts < b.ts; });
  const double fps = nominal_fps(st);
  const double span = static_cast<double>(last->ts - first->ts) * av_q2d(st->time_base) +
                      (fps > 0 ? 1.0 / fps : 0.0);
  const double held = std::max(span, latest_end_s);
  // A quarter second (or 2%) short is a rounding of durations, not a missing stretch.
  if (held + std::max(0.25, 0.02 * declared) < declared) {
    char text[160];
    std::snprintf(text, sizeof text, "truncated: header declares %.2f s, file holds %.2f s",
                  declared, held);
    fail(error_code::codec, path, text);
  }
}

// The stream's colour tags as the tags of a Y'CbCr 4:2:0 video: an RGB stream's matrix (0:
// x264rgb, VP9's RGB) and reserved or unknown code points read as unspecified, which the
// videos written from it can carry.
colour_description yuv_colour_tags(const AVCodecParameters& par) {
  // H.273's code points that libx264 writes (2 and 3 are unspecified and reserved).
  const auto between = [](int value, int low, int high) { return value >= low && value <= high; };
  colour_description tags;
  if (par.color_space == 1 || (between(par.color_space, 4, 14) && par.color_space != 8))
    tags.matrix = par.color_space;  // not 0 (RGB) or 8 (YCgCo): not what is written
  if (par.color_primaries == 1 || between(par.color_primaries, 4, 12) || par.color_primaries == 22)
    tags.primaries = par.color_primaries;
  if (par.color_trc == 1 || between(par.color_trc, 4, 18))
    tags.transfer = par.color_trc;
  return tags;
}

video_info probe_frame_folder(const std::filesystem::path& folder) {
  video_info info;
  info.path = folder;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    std::error_code entry_ec;  // a link that loops is no frame, not an exception
    if (entry.is_regular_file(entry_ec) && is_image_file(entry.path()) &&
        !is_hidden_file(entry.path()))
      info.frame_files.push_back(entry.path());
  }
  if (ec)
    throw error(error_code::io, folder.string() + ": cannot list the folder: " + ec.message());
  if (info.frame_files.empty())
    throw error(error_code::io, folder.string() + ": a frame folder without image files");
  std::sort(info.frame_files.begin(), info.frame_files.end());
  const cv::Mat first = read_image(info.frame_files.front());
  info.width = first.cols;
  info.height = first.rows;
  const size_t n = info.frame_files.size();
  info.timestamps_s.assign(n, 0.0);  // OpenFace writes 0 for every frame of a folder
  info.keyframe_indices.resize(n);
  for (size_t i = 0; i < n; ++i)
    info.keyframe_indices[i] = static_cast<int64_t>(i);
  info.constant_frame_rate = true;
  return info;
}

}  // namespace

const std::vector<std::string>& video_extensions() {
  static const std::vector<std::string> extensions = {
      ".mp4", ".m4v",  ".mov", ".avi", ".mkv", ".wmv", ".webm", ".mpg", ".mpeg", ".flv", ".ts",
      ".mts", ".m2ts", ".3gp", ".3g2", ".mxf", ".vob", ".ogv",  ".dv",  ".y4m",  ".asf"};
  return extensions;
}

bool is_video_file(const std::filesystem::path& file) {
  return detail::has_extension_in(file, video_extensions());
}

bool is_hidden_file(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  return !name.empty() && name[0] == '.';
}

video_info probe_video(const std::filesystem::path& path) {
  // A status that cannot be read (a link that loops) is open_input's to report, by name.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return probe_frame_folder(path);
  io_detail::opened_input input = io_detail::open_input(path);
  const AVStream* st = input.stream();

  video_info info;
  info.path = path;
  const orientation shown = display_orientation(st);
  info.rotation_deg = shown.rotation_cw;
  info.flipped = shown.flipped;
  const bool quarter = info.rotation_deg == 90 || info.rotation_deg == 270;
  info.width = quarter ? st->codecpar->height : st->codecpar->width;
  info.height = quarter ? st->codecpar->width : st->codecpar->height;
  info.average_fps = nominal_fps(st);
  info.colour = yuv_colour_tags(*st->codecpar);
  info.video_streams = 0;
  for (unsigned i = 0; i < input.format->nb_streams; ++i) {
    const AVStream* stream = input.format->streams[i];
    info.video_streams += stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
                          !(stream->disposition & AV_DISPOSITION_ATTACHED_PIC);
  }
  if (const AVDictionaryEntry* tag = av_dict_get(input.format->metadata, "comment", nullptr, 0))
    info.comment = tag->value;

  std::vector<packet_entry> packets;
  int64_t stream_packets = 0;
  bool missing_ts = false;
  // Where a declared duration is all a header has, where every stream ends is tracked, the
  // other streams read too: a complete file's audio may run on past its video (open_input()
  // discards them otherwise). Other files pay nothing for it.
  const bool checks_declared_duration =
      st->nb_frames <= 0 && input.format->duration_estimation_method == AVFMT_DURATION_FROM_STREAM;
  double latest_end_s = 0;  // where the last packet of any stream ends
  if (checks_declared_duration) {
    for (unsigned i = 0; i < input.format->nb_streams; ++i)
      input.format->streams[i]->discard = AVDISCARD_DEFAULT;
  }
  io_detail::packet_ptr pkt(av_packet_alloc());
  for (;;) {
    const int rc = av_read_frame(input.format.get(), pkt.get());
    if (rc == AVERROR_EOF)
      break;
    if (rc < 0) {
      fail(error_code::codec, path,
           "demux error after frame " + std::to_string(packets.size()) + " (" +
               io_detail::av_error_text(rc) + "); truncated?");
    }
    if (checks_declared_duration && pkt->pts != AV_NOPTS_VALUE) {
      const AVStream* of = input.format->streams[pkt->stream_index];
      const double fps = pkt->stream_index == input.stream_index ? info.average_fps : 0.0;
      const double length = pkt->duration > 0
                                ? static_cast<double>(pkt->duration) * av_q2d(of->time_base)
                            : fps > 0 ? 1.0 / fps
                                      : 0.0;
      latest_end_s =
          std::max(latest_end_s, static_cast<double>(pkt->pts) * av_q2d(of->time_base) + length);
    }
    if (pkt->stream_index == input.stream_index) {
      if (pkt->flags & AV_PKT_FLAG_CORRUPT) {
        fail(error_code::codec, path,
             "frame " + std::to_string(packets.size()) + " is truncated or corrupt");
      }
      ++stream_packets;
      // Packets before an edit list's start are decoded for reference only; libavcodec drops
      // their frames, so they are not frames of the video.
      if (!(pkt->flags & AV_PKT_FLAG_DISCARD)) {
        const int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        missing_ts = missing_ts || ts == AV_NOPTS_VALUE;
        packets.push_back({ts, (pkt->flags & AV_PKT_FLAG_KEY) != 0});
      }
    }
    av_packet_unref(pkt.get());
  }

  if (packets.empty())
    fail(error_code::codec, path, "no video frames");
  // Capture software writes index entries for dropped frames that hold no packet, so a frame
  // or two (1%) fewer than the header says is a complete file; more is a truncated one.
  const int64_t allowed_shortfall = std::max<int64_t>(1, st->nb_frames / 100);
  if (st->nb_frames > 0 && stream_packets + allowed_shortfall < st->nb_frames) {
    fail(error_code::codec, path,
         "truncated: header lists " + std::to_string(st->nb_frames) + " frames, file holds " +
             std::to_string(stream_packets));
  }

  if (checks_declared_duration && !missing_ts)
    fail_if_short_of_declared_duration(input, packets, latest_end_s, path);

  if (missing_ts) {
    // Without timestamps the decode order is all we have: index/fps, no PTS mapping. Whether
    // the decoder reorders them is then only the codec's word.
    info.reorder_depth = st->codecpar->video_delay > 0 ? -1 : 0;
    if (info.average_fps <= 0)
      fail(error_code::codec, path, "no timestamps and no frame rate");
    info.constant_frame_rate = true;
    for (size_t i = 0; i < packets.size(); ++i) {
      info.timestamps_s.push_back(static_cast<double>(i) * (1.0 / info.average_fps));
      if (packets[i].key)
        info.keyframe_indices.push_back(static_cast<int64_t>(i));
    }
    return info;
  }

  // Packets come in decode order; B-frames make presentation order the sorted PTS.
  info.reorder_depth = reorder_depth(packets);
  std::stable_sort(packets.begin(), packets.end(),
                   [](const packet_entry& a, const packet_entry& b) { return a.ts < b.ts; });
  info.pts.reserve(packets.size());
  for (size_t i = 0; i < packets.size(); ++i) {
    info.pts.push_back(packets[i].ts);
    if (packets[i].key)
      info.keyframe_indices.push_back(static_cast<int64_t>(i));
  }
  fill_timestamps(info, st->time_base);
  return info;
}

int64_t header_frame_count(const std::filesystem::path& path) {
  const io_detail::opened_input input = io_detail::open_input(path);
  const AVStream* st = input.stream();
  if (st->nb_frames > 0)
    return st->nb_frames;
  // No count in the header (ASF, Matroska): its duration at the nominal rate.
  double seconds = 0;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
    seconds = static_cast<double>(st->duration) * av_q2d(st->time_base);
  else if (input.format->duration > 0)
    seconds = static_cast<double>(input.format->duration) / AV_TIME_BASE;
  return std::max<int64_t>(0, std::llround(seconds * nominal_fps(st)));
}

}  // namespace facemirror
