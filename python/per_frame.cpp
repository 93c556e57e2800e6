// facemirror._facemirror's per-frame half: image_analyzer, video_session and multi_face_session
// over NumPy arrays, and the readers that give a caller without OpenCV the exact pixels the CLI
// analyses.
//
// Arrays in: a uint8 HxWx3 (BGR, or RGB on request), HxWx4 (BGRA, or RGBA) or HxW(x1) (grey) array
// is wrapped in a cv::Mat without a copy when each row's pixels lie side by side (any row stride,
// so a crop of a larger image qualifies); otherwise (a column step, a negative stride) it is copied
// once into a compact array, and rgb=True always converts into a new BGR image. The array object is
// held for the whole call; the GIL is released while the analysis runs, so the caller must not
// write into the array from another thread meanwhile.
// Arrays out: pixels the readers decode are handed over in the cv::Mat that holds them (a
// capsule owns it), not copied.
// Making an Analyzer or a session makes OpenCV and OpenBLAS single-threaded for the process,
// as the engine (and so extract()) does: the values depend on it.

#include "per_frame.h"

#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "facemirror/analysis/image_analyzer.h"
#include "facemirror/analysis/landmark_session.h"
#include "facemirror/analysis/multi_face_session.h"
#include "facemirror/analysis/video_session.h"
#include "facemirror/io/image_reader.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/models/model_paths.h"
#include "facemirror/pipeline/engine.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

namespace py = pybind11;
namespace fs = std::filesystem;

namespace facemirror::python {
namespace {

std::string shape_text(const py::array& array) {
  std::string text = "(";
  for (py::ssize_t d = 0; d < array.ndim(); ++d)
    text += (d ? ", " : "") + std::to_string(array.shape(d));
  return text + (array.ndim() == 1 ? ",)" : ")");
}

// The image a NumPy array holds, as the analysis takes it (8-bit grey, BGR or BGRA). `keep`
// receives the array whose memory the Mat points into; it must outlive the Mat.
cv::Mat image_from_array(const py::handle& object, bool rgb, py::array& keep) {
  if (!py::isinstance<py::array>(object))
    throw py::type_error("image must be a NumPy array, not " +
                         std::string(py::str(object.get_type().attr("__name__"))));
  py::array array = py::reinterpret_borrow<py::array>(object);
  // A wrong image is facemirror.InvalidArgument (a ValueError too), as a wrong camera is.
  if (array.dtype().kind() != 'u' || array.dtype().itemsize() != 1)
    throw error(error_code::invalid_argument,
                "image must be uint8, not " + std::string(py::str(array.dtype())));
  const py::ssize_t ndim = array.ndim();
  const py::ssize_t channels = ndim == 3 ? array.shape(2) : 1;
  if (!(ndim == 2 || (ndim == 3 && (channels == 1 || channels == 3 || channels == 4))) ||
      array.shape(0) < 1 || array.shape(1) < 1)
    throw error(error_code::invalid_argument,
                "image must be HxW or HxWx1 (grey), HxWx3 (BGR, or RGB with rgb=True) or HxWx4 "
                "(BGRA, or RGBA with rgb=True), not " +
                    shape_text(array));
  // OpenCV's sizes and row steps are ints.
  constexpr py::ssize_t int_max = std::numeric_limits<int>::max();
  if (array.shape(0) > int_max || array.shape(1) > int_max / 4)
    throw error(error_code::invalid_argument,
                "image of " + shape_text(array) + " pixels is larger than OpenCV takes");
  const bool rows_compact = (ndim == 2 || array.strides(2) == 1) && array.strides(1) == channels &&
                            array.strides(0) >= channels * array.shape(1);
  if (!rows_compact)
    array = py::array::ensure(array, py::array::c_style);  // the one copy
  keep = array;
  cv::Mat image(static_cast<int>(array.shape(0)), static_cast<int>(array.shape(1)),
                CV_8UC(static_cast<int>(channels)), const_cast<void*>(array.data()),
                static_cast<size_t>(array.strides(0)));
  // Grey has no channel order; RGBA (Pillow's and imageio's PNGs with alpha) loses its alpha as
  // BGRA does in the analysis.
  if (rgb && channels > 1) {
    cv::Mat bgr;
    cv::cvtColor(image, bgr, channels == 4 ? cv::COLOR_RGBA2BGR : cv::COLOR_RGB2BGR);
    return bgr;
  }
  return image;
}

// A NumPy view of `mat`'s pixels (rows x cols x channels, uint8) that keeps `mat` alive.
py::array array_from_image(cv::Mat mat) {
  auto* owner = new cv::Mat(std::move(mat));
  py::capsule free_when_done(owner, [](void* p) { delete static_cast<cv::Mat*>(p); });
  std::vector<py::ssize_t> shape{owner->rows, owner->cols};
  std::vector<py::ssize_t> strides{static_cast<py::ssize_t>(owner->step[0]), owner->channels()};
  if (owner->channels() > 1) {
    shape.push_back(owner->channels());
    strides.push_back(1);
  }
  return py::array(py::dtype::of<uint8_t>(), shape, strides, owner->data, free_when_done);
}

std::optional<camera_intrinsics> camera_from(const py::object& camera) {
  if (camera.is_none())
    return std::nullopt;
  const auto values = camera.cast<std::vector<double>>();  // facemirror._camera made it a list
  if (values.size() != 4)
    throw error(error_code::invalid_argument, "camera must be (fx, fy, cx, cy) in pixels, not " +
                                                  std::to_string(values.size()) + " values");
  const camera_intrinsics intrinsics{values[0], values[1], values[2], values[3]};
  intrinsics.check();  // facemirror.InvalidArgument, a ValueError, naming the values
  return intrinsics;
}

template <size_t n>
py::array_t<double> points_2d(const std::array<cv::Point2d, n>& points) {
  py::array_t<double> out({static_cast<py::ssize_t>(n), py::ssize_t{2}});
  auto view = out.mutable_unchecked<2>();
  for (size_t i = 0; i < n; ++i) {
    view(i, 0) = points[i].x;
    view(i, 1) = points[i].y;
  }
  return out;
}

template <size_t n>
py::array_t<double> points_3d(const std::array<cv::Point3d, n>& points) {
  py::array_t<double> out({static_cast<py::ssize_t>(n), py::ssize_t{3}});
  auto view = out.mutable_unchecked<2>();
  for (size_t i = 0; i < n; ++i) {
    view(i, 0) = points[i].x;
    view(i, 1) = points[i].y;
    view(i, 2) = points[i].z;
  }
  return out;
}

py::array_t<double> vector_of(std::initializer_list<double> values) {
  py::array_t<double> out(static_cast<py::ssize_t>(values.size()));
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

// One face's (or frame's) fields by the names facemirror.Face takes; the AU dicts are keyed by
// OpenFace's column names and left empty where the record has no AU values (a video frame).
py::dict face_dict(const frame_record& r, const analysis_models& models) {
  py::dict face;
  face["index"] = r.index;
  face["face_id"] = r.face_id;
  face["timestamp"] = r.timestamp_s;
  face["confidence"] = r.confidence;
  face["success"] = r.success;
  face["landmarks"] = points_2d(r.landmarks);
  face["landmarks_3d"] = points_3d(r.landmarks_mm);
  face["eye_landmarks"] = points_2d(r.eyes.landmarks);
  face["eye_landmarks_3d"] = points_3d(r.eyes.landmarks_mm);
  const gaze_estimate& g = r.eyes.gaze;
  face["gaze_0"] = vector_of({g.eye_0.x, g.eye_0.y, g.eye_0.z});
  face["gaze_1"] = vector_of({g.eye_1.x, g.eye_1.y, g.eye_1.z});
  face["gaze_angle"] = vector_of({g.angle_x, g.angle_y});
  face["pose"] = vector_of({r.pose.tx, r.pose.ty, r.pose.tz, r.pose.rx, r.pose.ry, r.pose.rz});
  const pdm_params& p = r.params;
  face["params_global"] = vector_of({p.scale, p.rx, p.ry, p.rz, p.tx, p.ty});
  // OpenFace writes zeros for p_0.. where there is no fit; so does the CSV writer.
  std::vector<double> local = p.local;
  local.resize(static_cast<size_t>(models.pdm->mode_count()), 0.0);
  face["params_local"] = py::array_t<double>(static_cast<py::ssize_t>(local.size()), local.data());
  py::dict intensity, presence;
  if (models.aus && !r.au_intensity.empty()) {
    for (size_t k = 0; k < r.au_intensity.size(); ++k)
      intensity[py::str(models.aus->intensity_names()[k] + "_r")] = r.au_intensity[k];
    for (size_t k = 0; k < r.au_presence.size(); ++k)
      presence[py::str(models.aus->presence_names()[k] + "_c")] = r.au_presence[k];
  }
  face["au_intensity"] = intensity;
  face["au_presence"] = presence;
  return face;
}

py::list face_dicts(const std::vector<frame_record>& faces, const analysis_models& models) {
  py::list out;
  for (const frame_record& face : faces)
    out.append(face_dict(face, models));
  return out;
}

std::shared_ptr<const analysis_models> load_models(const std::optional<fs::path>& dir,
                                                   bool static_aus) {
  py::gil_scoped_release no_gil;
  // The CLI's values need the CLI's library threading (OpenBLAS's sums depend on it).
  make_libraries_single_threaded();
  return std::make_shared<const analysis_models>(resolve_model_paths(dir), /*compute_aus=*/true,
                                                 static_aus, /*use_clnf=*/true);
}

class python_analyzer {
 public:
  explicit python_analyzer(const std::optional<fs::path>& models_dir)
      : models_(load_models(models_dir, /*static_aus=*/true)), analyzer_(models_) {}

  py::list analyze(const py::object& image, bool rgb, const py::object& camera) const {
    py::array keep;
    const cv::Mat pixels = image_from_array(image, rgb, keep);
    const std::optional<camera_intrinsics> intrinsics = camera_from(camera);
    std::vector<frame_record> faces;
    {
      py::gil_scoped_release no_gil;
      faces = analyzer_.analyze(pixels, intrinsics);
    }
    return face_dicts(faces, *models_);
  }

 private:
  std::shared_ptr<const analysis_models> models_;
  image_analyzer analyzer_;
};

// A session or reader is one thread's: it lets go of the GIL while it works, so a second Python
// thread could enter it meanwhile, and would corrupt its state. The GIL makes the check and the
// claim one step, so that second call is an error instead.
class single_caller {
 public:
  single_caller(bool& busy, const char* what) : busy_(busy) {
    if (busy_)
      throw std::runtime_error(std::string(what) +
                               " is in use by another thread: give each thread its own");
    busy_ = true;
  }
  ~single_caller() { busy_ = false; }
  single_caller(const single_caller&) = delete;
  single_caller& operator=(const single_caller&) = delete;

 private:
  bool& busy_;
};

class python_video_session {
 public:
  python_video_session(const std::optional<fs::path>& models_dir, const py::object& camera)
      : models_(load_models(models_dir, /*static_aus=*/false)),
        session_(models_, camera_from(camera)) {}

  py::dict track(const py::object& frame, double timestamp_s, bool rgb) {
    py::array keep;
    const cv::Mat pixels = image_from_array(frame, rgb, keep);
    const single_caller claim(busy_, "this VideoSession");
    frame_record record;
    {
      py::gil_scoped_release no_gil;
      record = session_.track(pixels, timestamp_s);
    }
    // Kept here, not by the Python wrapper: a KeyboardInterrupt between this return and the
    // wrapper's next line would leave a frame tracked without its row.
    rows_.push_back({record.index + 1, record.timestamp_s, record.confidence, record.success});
    return face_dict(record, *models_);
  }

  // Column name -> one value per frame tracked: frame (1-based), timestamp, confidence, success,
  // then the AUs in au_model_set order (intensities, presences).
  py::dict finish() {
    const single_caller claim(busy_, "this VideoSession");
    std::vector<au_values> frames;
    {
      py::gil_scoped_release no_gil;
      frames = session_.finish();
    }
    std::vector<tracked_row> rows;
    rows.swap(rows_);
    py::dict columns;
    const auto column = [&](const char* name, auto value_of) {
      using value_type = decltype(value_of(rows.front()));
      py::array_t<value_type> values(static_cast<py::ssize_t>(rows.size()));
      for (size_t i = 0; i < rows.size(); ++i)
        values.mutable_data()[i] = value_of(rows[i]);
      columns[name] = values;
    };
    column("frame", [](const tracked_row& r) { return r.frame; });
    column("timestamp", [](const tracked_row& r) { return r.timestamp_s; });
    column("confidence", [](const tracked_row& r) { return r.confidence; });
    column("success", [](const tracked_row& r) { return int64_t{r.success}; });
    const auto& names_r = models_->aus->intensity_names();
    const auto& names_c = models_->aus->presence_names();
    const auto n = static_cast<py::ssize_t>(frames.size());
    for (size_t k = 0; k < names_r.size(); ++k) {
      py::array_t<double> values(n);
      for (py::ssize_t i = 0; i < n; ++i)
        values.mutable_data()[i] = frames[static_cast<size_t>(i)].intensity.at(k);
      columns[py::str(names_r[k] + "_r")] = values;
    }
    for (size_t k = 0; k < names_c.size(); ++k) {
      py::array_t<double> values(n);
      for (py::ssize_t i = 0; i < n; ++i)
        values.mutable_data()[i] = frames[static_cast<size_t>(i)].presence.at(k);
      columns[py::str(names_c[k] + "_c")] = values;
    }
    return columns;
  }

  [[nodiscard]] int64_t frames_tracked() const { return session_.frames_tracked(); }

 private:
  struct tracked_row {
    int64_t frame;
    double timestamp_s;
    double confidence;
    bool success;
  };

  std::shared_ptr<const analysis_models> models_;
  video_session session_;
  std::vector<tracked_row> rows_;  // one per frame track() took since the last finish()
  bool busy_ = false;              // see single_caller
};

class python_multi_face_session {
 public:
  python_multi_face_session(const std::optional<fs::path>& models_dir, const py::object& camera,
                            int max_faces)
      : models_(load_models(models_dir, /*static_aus=*/true)),
        session_(models_, options(max_faces), camera_from(camera)) {}

  py::list track(const py::object& frame, double timestamp_s, bool rgb) {
    py::array keep;
    const cv::Mat pixels = image_from_array(frame, rgb, keep);
    const single_caller claim(busy_, "this MultiFaceSession");
    std::vector<frame_record> faces;
    {
      py::gil_scoped_release no_gil;
      faces = session_.track(pixels, timestamp_s);
    }
    return face_dicts(faces, *models_);
  }

  void reset() {
    const single_caller claim(busy_, "this MultiFaceSession");
    session_.reset();
  }

  [[nodiscard]] int64_t frames_tracked() const { return session_.frames_tracked(); }

 private:
  static multi_face_options options(int max_faces) {
    multi_face_options options;
    options.max_faces = max_faces;  // checked by the session: facemirror.InvalidArgument
    return options;
  }

  std::shared_ptr<const analysis_models> models_;
  multi_face_session session_;
  bool busy_ = false;  // see single_caller
};

// The frames of a video as the CLI decodes them: (timestamp, BGR array) per frame.
class python_video_frames {
 public:
  explicit python_video_frames(const fs::path& path) : path_(path) {
    py::gil_scoped_release no_gil;
    reader_.emplace(probe_video(path));
    frame_count_ = reader_->info().frame_count();
  }

  py::tuple next() {
    if (!reader_)
      throw py::stop_iteration();
    const single_caller claim(busy_, "this read_video()");
    std::optional<video_frame> frame;
    {
      py::gil_scoped_release no_gil;
      frame = reader_->read();
    }
    if (!frame) {
      reader_.reset();  // close the file as soon as it is read whole
      throw py::stop_iteration();
    }
    if (frame->damage == frame_damage::concealed)
      concealed_.push_back(frame->index + 1);
    if (frame->damage == frame_damage::missing)
      missing_.push_back(frame->index + 1);
    ++frames_read_;
    return py::make_tuple(frame->timestamp_s, array_from_image(std::move(frame->bgr)));
  }

  // The video's, read or not: what probe_video counted when it was opened.
  [[nodiscard]] int64_t frame_count() const { return frame_count_; }
  // Frames read so far from damaged data (CSV numbers, from 1): see video_frame::damage.
  [[nodiscard]] const std::vector<int64_t>& concealed_frames() const { return concealed_; }
  [[nodiscard]] const std::vector<int64_t>& missing_frames() const { return missing_; }

  // What it reads and how far: "<facemirror.VideoFrames 'a.mp4', 12 of 300 frames read>".
  [[nodiscard]] std::string repr() const {
    return "<facemirror.VideoFrames " +
           py::repr(py::module_::import("os").attr("fsdecode")(py::bytes(path_.string())))
               .cast<std::string>() +
           ", " + std::to_string(frames_read_) + " of " + std::to_string(frame_count_) +
           " frames read" + (reader_ ? "" : ", closed") + ">";
  }

  // Closes the file now rather than when the last frame is read or the object is collected.
  void close() {
    const single_caller claim(busy_, "this read_video()");
    reader_.reset();
  }

 private:
  fs::path path_;
  std::optional<video_reader> reader_;
  int64_t frame_count_ = 0;
  int64_t frames_read_ = 0;
  std::vector<int64_t> concealed_, missing_;
  bool busy_ = false;  // see single_caller
};

}  // namespace

void bind_per_frame(py::module_& m) {
  py::class_<python_analyzer>(m, "Analyzer")
      .def(py::init<const std::optional<fs::path>&>(), py::arg("models_dir"))
      .def("analyze", &python_analyzer::analyze, py::arg("image"), py::arg("rgb"),
           py::arg("camera"), "Every face of one image, as dicts; see facemirror.Analyzer.");

  py::class_<python_video_session>(m, "VideoSession")
      .def(py::init<const std::optional<fs::path>&, const py::object&>(), py::arg("models_dir"),
           py::arg("camera"))
      .def("track", &python_video_session::track, py::arg("frame"), py::arg("timestamp"),
           py::arg("rgb"))
      .def("finish", &python_video_session::finish)
      .def_property_readonly("frames_tracked", &python_video_session::frames_tracked);

  py::class_<python_multi_face_session>(m, "MultiFaceSession")
      .def(py::init<const std::optional<fs::path>&, const py::object&, int>(),
           py::arg("models_dir"), py::arg("camera"), py::arg("max_faces"))
      .def("track", &python_multi_face_session::track, py::arg("frame"), py::arg("timestamp"),
           py::arg("rgb"))
      .def("reset", &python_multi_face_session::reset)
      .def_property_readonly("frames_tracked", &python_multi_face_session::frames_tracked);

  py::class_<python_video_frames>(
      m, "VideoFrames",
      "A video file's frames as facemirror.read_video() yields them: (timestamp in seconds, "
      "HxWx3 uint8 BGR array) in presentation order; len() is the frame count, "
      "concealed_frames and missing_frames the frames read so far from damaged data (CSV "
      "numbers, from 1). See facemirror.read_video.")
      .def(py::init<const fs::path&>(), py::arg("path"))
      .def("__iter__", [](python_video_frames& self) -> python_video_frames& { return self; })
      .def("__next__", &python_video_frames::next)
      .def("__len__", &python_video_frames::frame_count)
      .def("close", &python_video_frames::close)
      .def("__repr__", &python_video_frames::repr)
      .def("__enter__", [](python_video_frames& self) -> python_video_frames& { return self; })
      .def("__exit__", [](python_video_frames& self, const py::object&, const py::object&,
                          const py::object&) { self.close(); })
      .def_property_readonly("frame_count", &python_video_frames::frame_count)
      .def_property_readonly("concealed_frames", &python_video_frames::concealed_frames)
      .def_property_readonly("missing_frames", &python_video_frames::missing_frames);

  m.def(
      "exif_orientation",
      [](const fs::path& path) {
        const int orientation = exif_orientation(path);
        return py::make_tuple(orientation, describe_exif_orientation(orientation));
      },
      py::arg("path"), "The file's EXIF orientation (1 to 8) and how it is shown; see read_image.");
  m.def(
      "read_image",
      [](const fs::path& path) {
        cv::Mat image;
        {
          py::gil_scoped_release no_gil;
          image = read_image(path);
        }
        return array_from_image(std::move(image));
      },
      py::arg("path"), "The image file as the CLI reads it: HxWx3 uint8 BGR.");
}

}  // namespace facemirror::python
