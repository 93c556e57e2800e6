#include "wire.h"

#include <cstring>
#include <type_traits>

#include "facemirror/error.h"

namespace facemirror::detail {
namespace {

class writer {
 public:
  explicit writer(std::string& out) : out_(out) {}
  template <typename T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  template <typename T>
  void put_vector(const std::vector<T>& values) {
    put<uint64_t>(values.size());
    out_.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
  }

 private:
  std::string& out_;
};

class reader {
 public:
  explicit reader(std::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  T get() {
    T value;
    take(&value, sizeof(T));
    return value;
  }
  template <typename T>
  std::vector<T> get_vector() {
    const auto n = get<uint64_t>();
    FACEMIRROR_CHECK(n <= bytes_.size() / sizeof(T), "worker result: bad vector length");
    std::vector<T> values(n);
    take(values.data(), n * sizeof(T));
    return values;
  }
  [[nodiscard]] bool done() const { return bytes_.empty(); }
  std::string_view take_view(size_t n) {
    FACEMIRROR_CHECK(bytes_.size() >= n, "worker result: truncated");
    std::string_view view = bytes_.substr(0, n);
    bytes_.remove_prefix(n);
    return view;
  }

 private:
  void take(void* dst, size_t n) {
    FACEMIRROR_CHECK(bytes_.size() >= n, "worker result: truncated");
    if (n == 0)
      return;  // an empty vector's data() may be null, which memcpy may not be given (UBSan)
    std::memcpy(dst, bytes_.data(), n);
    bytes_.remove_prefix(n);
  }
  std::string_view bytes_;
};

void put_params(writer& w, const pdm_params& p) {
  for (double v : {p.scale, p.rx, p.ry, p.rz, p.tx, p.ty})
    w.put(v);
  w.put_vector(p.local);
}

pdm_params get_params(reader& r) {
  pdm_params p;
  for (double* v : {&p.scale, &p.rx, &p.ry, &p.rz, &p.tx, &p.ty})
    *v = r.get<double>();
  p.local = r.get_vector<double>();
  return p;
}

// An 8-bit image (the aligned face): rows, cols, channels, then the pixels row by row; an
// empty image is rows == 0 and nothing else.
void put_image(writer& w, const cv::Mat& image) {
  w.put<int32_t>(image.empty() ? 0 : image.rows);
  if (image.empty())
    return;
  FACEMIRROR_CHECK(image.depth() == CV_8U, "wire: only 8-bit images travel");
  w.put<int32_t>(image.cols);
  w.put<int32_t>(image.channels());
  std::vector<uchar> pixels(image.total() * image.elemSize());
  const size_t row_bytes = static_cast<size_t>(image.cols) * image.elemSize();
  for (int y = 0; y < image.rows; ++y)
    std::memcpy(pixels.data() + static_cast<size_t>(y) * row_bytes, image.ptr(y), row_bytes);
  w.put_vector(pixels);
}

cv::Mat get_image(reader& r) {
  const auto rows = r.get<int32_t>();
  if (rows == 0)
    return {};
  const auto cols = r.get<int32_t>();
  const auto channels = r.get<int32_t>();
  FACEMIRROR_CHECK(rows > 0 && cols > 0 && channels >= 1 && channels <= 4,
                   "worker result: bad image header");
  const std::vector<uchar> pixels = r.get_vector<uchar>();
  FACEMIRROR_CHECK(pixels.size() == static_cast<size_t>(rows) * static_cast<size_t>(cols) *
                                        static_cast<size_t>(channels),
                   "worker result: bad image size");
  cv::Mat image(rows, cols, CV_8UC(channels));
  std::memcpy(image.data, pixels.data(), pixels.size());
  return image;
}

}  // namespace

void put_frames(writer& w, const std::vector<analysed_frame>& frames) {
  w.put<uint64_t>(frames.size());
  for (const auto& f : frames) {
    const frame_record& r = f.record;
    w.put(r.index);
    w.put(r.timestamp_s);
    w.put(r.confidence);
    w.put<uint8_t>(r.success);
    w.put(r.pose);
    w.put(r.landmarks);
    w.put(r.landmarks_mm);
    w.put(r.eyes);
    put_params(w, r.params);
    w.put<uint8_t>(f.features.has_value());
    if (f.features) {
      w.put<uint8_t>(f.features->success);
      w.put_vector(f.features->hog);
      w.put_vector(f.features->geometry);
      put_params(w, f.features->params);
    }
    put_image(w, f.aligned_face);
    w.put(static_cast<uint8_t>(f.damage));
  }
}

std::vector<analysed_frame> get_frames(reader& r) {
  const auto n = r.get<uint64_t>();
  std::vector<analysed_frame> frames(n);
  for (auto& f : frames) {
    frame_record& rec = f.record;
    rec.index = r.get<int64_t>();
    rec.timestamp_s = r.get<double>();
    rec.confidence = r.get<double>();
    rec.success = r.get<uint8_t>() != 0;
    rec.pose = r.get<head_pose>();
    rec.landmarks = r.get<landmarks_2d>();
    rec.landmarks_mm = r.get<landmarks_3d>();
    rec.eyes = r.get<eye_observation>();
    rec.params = get_params(r);
    if (r.get<uint8_t>() != 0) {
      au_features features;
      features.success = r.get<uint8_t>() != 0;
      features.hog = r.get_vector<float>();
      features.geometry = r.get_vector<double>();
      features.params = get_params(r);
      f.features = std::move(features);
    }
    f.aligned_face = get_image(r);
    const auto damage = r.get<uint8_t>();
    FACEMIRROR_CHECK(damage <= static_cast<uint8_t>(frame_damage::missing),
                     "worker result: bad frame mark");
    f.damage = static_cast<frame_damage>(damage);
  }
  return frames;
}

void encode_frames(const std::vector<analysed_frame>& frames, std::string& out) {
  writer w(out);
  put_frames(w, frames);
}

std::vector<analysed_frame> decode_frames(std::string_view bytes) {
  reader r(bytes);
  auto frames = get_frames(r);
  FACEMIRROR_CHECK(r.done(), "worker result: trailing bytes");
  return frames;
}

namespace {

void put_record(writer& w, const frame_record& r) {
  put_frames(w, {analysed_frame{r, std::nullopt}});
}

frame_record get_record(reader& r) {
  auto frames = get_frames(r);
  FACEMIRROR_CHECK(frames.size() == 1, "worker message: bad record");
  return std::move(frames[0].record);
}

void put_state(writer& w, const landmark_session::state& s) {
  w.put<uint8_t>(s.tracker.tracking);
  w.put<uint8_t>(s.tracker.has_previous);
  w.put(s.tracker.lost_frames);
  w.put(s.tracker.box);
  w.put(s.tracker.previous);
  w.put<uint8_t>(s.clnf.has_previous);
  put_params(w, s.clnf.previous);
  w.put(s.last);
  w.put<uint8_t>(s.tracking);
  w.put(s.failures);
  w.put<uint8_t>(s.accepted);
  w.put<uint8_t>(s.fit_params.has_value());
  if (s.fit_params)
    put_params(w, *s.fit_params);
  w.put(s.confidence);
  w.put(s.eyes);
}

landmark_session::state get_state(reader& r) {
  landmark_session::state s;
  s.tracker.tracking = r.get<uint8_t>() != 0;
  s.tracker.has_previous = r.get<uint8_t>() != 0;
  s.tracker.lost_frames = r.get<int>();
  s.tracker.box = r.get<cv::Rect2d>();
  s.tracker.previous = r.get<landmarks_2d>();
  s.clnf.has_previous = r.get<uint8_t>() != 0;
  s.clnf.previous = get_params(r);
  s.last = r.get<landmarks_2d>();
  s.tracking = r.get<uint8_t>() != 0;
  s.failures = r.get<int64_t>();
  s.accepted = r.get<uint8_t>() != 0;
  if (r.get<uint8_t>() != 0)
    s.fit_params = get_params(r);
  s.confidence = r.get<double>();
  s.eyes = r.get<eye_pair>();
  return s;
}

}  // namespace

void encode_segment(const segment_output& output, std::string& out) {
  writer w(out);
  put_frames(w, output.frames);
  w.put<uint8_t>(output.lead_in.has_value());
  if (output.lead_in)
    put_record(w, *output.lead_in);
  put_state(w, output.end_state);
  w.put(output.handover_frame);
  w.put<uint64_t>(output.videos.size());
  std::string bytes;
  for (const auto& video : output.videos) {
    bytes.clear();
    encode_chunk(video, bytes);
    w.put<uint64_t>(bytes.size());
    out.append(bytes);
  }
}

segment_output decode_segment(std::string_view bytes) {
  reader r(bytes);
  segment_output output;
  output.frames = get_frames(r);
  if (r.get<uint8_t>() != 0)
    output.lead_in = get_record(r);
  output.end_state = get_state(r);
  output.handover_frame = r.get<int64_t>();
  const auto videos = r.get<uint64_t>();
  FACEMIRROR_CHECK(videos <= 16, "worker result: bad video count");
  for (uint64_t i = 0; i < videos; ++i) {
    const auto size = r.get<uint64_t>();
    output.videos.push_back(decode_chunk(r.take_view(size)));
  }
  FACEMIRROR_CHECK(r.done(), "worker result: trailing bytes");
  return output;
}

void encode_task(const segment_task& task, std::string& out) {
  writer w(out);
  w.put<uint64_t>(task.video);
  w.put(task.segment);
  w.put(task.first_frame);
  w.put(task.end_frame);
  w.put(task.frame_stride);
  w.put(task.attempt);
  w.put(task.start_offset_ulps);
  w.put<uint64_t>(task.late_input.size());
  out.append(task.late_input);
  w.put<uint8_t>(task.carried != nullptr);
  if (task.carried) {
    put_state(w, task.carried->state);
    put_frames(w, task.carried->before);
    put_frames(w, task.carried->reference);
  }
}

segment_task decode_task(std::string_view bytes) {
  reader r(bytes);
  segment_task task;
  task.video = static_cast<size_t>(r.get<uint64_t>());
  task.segment = r.get<int64_t>();
  task.first_frame = r.get<int64_t>();
  task.end_frame = r.get<int64_t>();
  task.frame_stride = r.get<int>();
  task.attempt = r.get<int>();
  task.start_offset_ulps = r.get<int>();
  const auto path_size = r.get<uint64_t>();
  task.late_input = std::string(r.take_view(path_size));
  if (r.get<uint8_t>() != 0) {
    auto carried = std::make_shared<handover>();
    carried->state = get_state(r);
    carried->before = get_frames(r);
    carried->reference = get_frames(r);
    task.carried = std::move(carried);
  }
  FACEMIRROR_CHECK(r.done(), "worker task: trailing bytes");
  return task;
}

}  // namespace facemirror::detail
