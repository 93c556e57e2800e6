// Loading OpenFace's CLNF model description files, the hierarchical (main + part models) fit,
// and clnf_tracker, the per-video integration point.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <opencv2/imgproc.hpp>

#include "facemirror/error.h"

#include "landmarks/clnf_internal.h"
#include "landmarks/rotation.h"

namespace facemirror {
namespace {

using detail::clnf_level;

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& why) {
  throw error(error_code::model_format, file.string() + ": " + why);
}

std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    fail(file, "cannot open");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos)
      lines.push_back(line);
  return lines;
}

// A level file ("PDM <file>", "PatchesCCNF <file>"... relative to its folder). `windows` are the
// window sizes per scale whose Sigma matrices are precomputed.
clnf_level load_level(const std::filesystem::path& file, const std::string& name,
                      const std::vector<std::vector<int>>& windows) {
  clnf_level level;
  level.name = name;
  bool has_pdm = false;
  for (const std::string& line : read_lines(file)) {
    std::istringstream ss(line);
    std::string key, rel;
    ss >> key >> rel;
    const std::filesystem::path target = file.parent_path() / rel;
    if (key == "PDM") {
      level.pdm = point_distribution_model::load(target, point_distribution_model::any_point_count);
      has_pdm = true;
    } else if (key == "PatchesCCNF") {
      const size_t s = level.scales.size();
      level.scales.push_back(
          detail::load_ccnf_scale(target, s < windows.size() ? windows[s] : std::vector<int>{}));
    } else if (key != "Triangulations") {
      fail(file, "unknown entry '" + key + "'");
    }
  }
  if (!has_pdm || level.scales.empty())
    fail(file, "needs a PDM and at least one PatchesCCNF entry");
  for (const auto& s : level.scales)
    if (s.visibility.empty() || static_cast<int>(s.visibility[0].size()) != level.pdm.point_count())
      fail(file, "patch experts and PDM disagree on the landmark count");
  return level;
}

// A "main" file names its level with "LandmarkDetector <file>"; returns that level.
clnf_level load_main(const std::filesystem::path& file, const std::string& name,
                     const std::vector<std::vector<int>>& windows) {
  for (const std::string& line : read_lines(file)) {
    std::istringstream ss(line);
    std::string key, rel;
    ss >> key >> rel;
    if (key == "LandmarkDetector")
      return load_level(file.parent_path() / rel, name, windows);
  }
  fail(file, "no LandmarkDetector entry");
}

// Settings of the part models (OpenFace's hierarchical parameters, checked by measurement).
clnf_fit_options part_options(const std::string& name) {
  clnf_fit_options o;
  o.adapt_per_scale = false;
  o.refine_parts = false;
  // The part runs only on faces at least 0.9x its first scale (checked in fit()); after that
  // the reference runs every scale of the part, however small (as for the main model): gating
  // the eyes' 1.5 scale on the eye PDM's own scale (~1.25x the face's) left 2015-10-15-15-14
  // and default.wmv with 0.2-0.3 px eye errors in stretches where that scale hovers near 1.35.
  if (name == "inner") {
    o.window_sizes = {9};
    o.reg_factor = 2.5;
    o.sigma = 1.75;
    o.weight_factor = 2.5;
  } else {  // the eye models
    o.window_sizes = {3, 5, 9};
    o.reg_factor = 0.5;
    o.sigma = 1.0;
  }
  return o;
}

}  // namespace

clnf_model::clnf_model(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
clnf_model::~clnf_model() = default;

const point_distribution_model& clnf_model::pdm() const {
  return impl_->main.pdm;
}

std::shared_ptr<const clnf_model> clnf_model::load(const std::filesystem::path& main_file) {
  auto m = std::make_unique<impl>();
  // Sigma is precomputed for the windows the default detection and tracking options use.
  const clnf_fit_options det = clnf_fit_options::detection(), trk = clnf_fit_options::tracking();
  std::vector<std::vector<int>> windows;
  for (size_t s = 0; s < std::max(det.window_sizes.size(), trk.window_sizes.size()); ++s) {
    windows.emplace_back();
    for (const auto* o : {&det, &trk})
      if (s < o->window_sizes.size() && o->window_sizes[s] > 0)
        windows.back().push_back(o->window_sizes[s]);
  }
  bool has_main = false;
  for (const std::string& line : read_lines(main_file)) {
    std::istringstream ss(line);
    std::string key, rel;
    ss >> key >> rel;
    const std::filesystem::path target = main_file.parent_path() / rel;
    if (key == "LandmarkDetector") {
      m->main = load_level(target, "main", windows);
      has_main = true;
    } else if (key == "LandmarkDetector_part") {
      impl::part part;
      std::string name;
      ss >> name;
      part.options = part_options(name);
      std::vector<std::vector<int>> part_windows;
      for (int w : part.options.window_sizes)
        part_windows.push_back({w});
      part.level = load_main(target, name, part_windows);
      int from = 0, to = 0;
      while (ss >> from >> to) {
        if (from < 0 || from >= 68 || to < 0 || to >= part.level.pdm.point_count())
          fail(main_file, "part '" + name + "': landmark index out of range");
        part.mapping.emplace_back(from, to);
      }
      if (part.mapping.empty())
        fail(main_file, "part '" + name + "' maps no landmarks");
      m->parts.push_back(std::move(part));
    }
  }
  if (!has_main)
    fail(main_file, "no LandmarkDetector entry");
  if (m->main.pdm.point_count() != landmark_count)
    fail(main_file, "the main model must have 68 landmarks");
  return std::shared_ptr<const clnf_model>(new clnf_model(std::move(m)));
}

namespace {

// The experts sample 8-bit and float images as they are (warp_linear); any other depth is
// converted to float once.
cv::Mat sampled_image(const cv::Mat& grey) {
  FACEMIRROR_CHECK(grey.channels() == 1, "clnf: fit needs a single-channel image");
  cv::Mat image = grey;
  if (grey.depth() != CV_8U && grey.depth() != CV_32F)
    grey.convertTo(image, CV_32F);
  return image;
}

}  // namespace

clnf_fit_result clnf_model::fit(const cv::Mat& grey, const pdm_params& init,
                                const clnf_fit_options& options) const {
  if (!(init.scale > 0))
    throw error(error_code::invalid_argument, "clnf: initial parameters have no scale");
  for (int w : options.window_sizes)  // the mean-shift works on fixed-size row buffers
    FACEMIRROR_CHECK(w <= detail::max_window, "clnf: search windows are at most 64 pixels");
  const cv::Mat image = sampled_image(grey);

  clnf_fit_result result;
  pdm_params p = init;
  const detail::level_fit main = detail::fit_level(impl_->main, image, p, options);
  result.converged = main.converged;
  result.likelihood = main.likelihood;
  result.face_too_small = main.too_small;
  result.params = std::move(p);
  result.landmarks = impl_->main.pdm.project(result.params);
  if (options.refine_parts)
    refine_parts_of(image, result);
  return result;
}

void clnf_model::refine_parts(const cv::Mat& grey, clnf_fit_result& fit) const {
  refine_parts_of(sampled_image(grey), fit);
}

void clnf_model::refine_parts_of(const cv::Mat& image, clnf_fit_result& result) const {
  if (impl_->parts.empty() || result.face_too_small)
    return;
  pdm_params& p = result.params;
  // Every part starts from the main model's fit, not from an earlier part's refinement (the
  // reference fits the parts independently and only then merges them, later parts winning).
  const std::vector<cv::Point2d> main_shape = impl_->main.pdm.project_points(p);
  std::vector<cv::Point2d> shape = main_shape;
  bool parts_used = false;
  result.parts.assign(impl_->parts.size(), clnf_part_fit{});
  for (size_t k = 0; k < impl_->parts.size(); ++k) {
    const impl::part& part = impl_->parts[k];
    const point_distribution_model& ps = part.level.pdm;
    std::vector<cv::Point2d> part_pts(ps.point_count(), cv::Point2d(0, 0));
    for (const auto& [from, to] : part.mapping)
      part_pts[to] = main_shape[from];
    // Not OpenFace's start (its origin at the box centre): started so, the part fits end
    // elsewhere within CalcParams' stopping tolerance, and default_left_mirrored's frame 119
    // takes the other fit (tests/analysis/tracker_failure_test.cpp; docs/fidelity_notes.md,
    // "One PDM").
    pdm_params pp = ps.fit(part_pts, point_distribution_model::fit_start::mean_box_at_box_centre);
    if (!(pp.scale > 0))
      continue;
    // A part runs only when the face is at least 0.9x its first training scale (no
    // upsampling); otherwise it keeps its fit to the main model's points, as OpenFace does.
    const bool refined = p.scale > 0.9 * part.level.scales[0].scale;
    if (refined)
      (void)detail::fit_level(part.level, image, pp, part.options);
    clnf_part_fit& out = result.parts[k];
    out.landmarks = ps.project_points(pp);
    ps.model_points(pp.local, out.model_shape);
    out.params = std::move(pp);
    if (!refined)
      continue;
    for (const auto& [from, to] : part.mapping)
      shape[from] = out.landmarks[to];
    parts_used = true;
  }
  if (parts_used) {
    landmarks_2d merged;
    std::copy(shape.begin(), shape.end(), merged.begin());
    p = impl_->main.pdm.fit(merged);
    result.landmarks = impl_->main.pdm.project(p);
  }
}

std::vector<std::string> clnf_model::part_names() const {
  std::vector<std::string> names;
  for (const impl::part& part : impl_->parts)
    names.push_back(part.level.name);
  return names;
}

pdm_params clnf_params_in_box(const point_distribution_model& pdm, const cv::Rect2d& box,
                              const cv::Vec3d& rotation) {
  pdm_params p;
  p.local.assign(pdm.mode_count(), 0.0);
  p.scale = 0.0;
  if (!(box.width > 0) || !(box.height > 0))
    return p;
  const cv::Mat_<double> mean = pdm.shape_3d({});
  const int n = pdm.point_count();
  const cv::Matx33d r = detail::euler_to_rotation(rotation);
  double lo_x = 0, hi_x = 0, lo_y = 0, hi_y = 0;
  for (int i = 0; i < n; ++i) {
    const cv::Vec3d q = r * cv::Vec3d(mean(i), mean(i + n), mean(i + 2 * n));
    if (i == 0 || q[0] < lo_x)
      lo_x = q[0];
    if (i == 0 || q[0] > hi_x)
      hi_x = q[0];
    if (i == 0 || q[1] < lo_y)
      lo_y = q[1];
    if (i == 0 || q[1] > hi_y)
      hi_y = q[1];
  }
  if (!(hi_x > lo_x) || !(hi_y > lo_y))
    return p;
  p.scale = (box.width / (hi_x - lo_x) + box.height / (hi_y - lo_y)) / 2;
  p.rx = rotation[0];
  p.ry = rotation[1];
  p.rz = rotation[2];
  p.tx = box.x + box.width / 2 - p.scale * (lo_x + hi_x) / 2;
  p.ty = box.y + box.height / 2 - p.scale * (lo_y + hi_y) / 2;
  return p;
}

const std::vector<cv::Vec3d>& clnf_box_rotations() {
  static const std::vector<cv::Vec3d> rotations{{0, 0, 0},         {0, -0.5236, 0},  {0, 0.5236, 0},
                                                {0, -0.96, 0},     {0, 0.96, 0},     {0, 0, 0.5236},
                                                {0, 0, -0.5236},   {0, -1.57, 0},    {0, 1.57, 0},
                                                {0, -1.22, 0.698}, {0, 1.22, -0.698}};
  return rotations;
}

clnf_tracker::clnf_tracker(std::shared_ptr<const clnf_model> model, clnf_tracker_options options)
    : model_(std::move(model)), options_(std::move(options)) {
  FACEMIRROR_CHECK(model_ != nullptr, "clnf_tracker: null model");
}

const cv::Mat& clnf_tracker::grey(const cv::Mat& frame) {
  // A grey frame is used as it is and never kept: were grey_ to share its pixels, the next
  // colour frame's conversion would write into the caller's image.
  if (frame.channels() == 1)
    return frame;
  cv::cvtColor(frame, grey_, frame.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  return grey_;
}

clnf_fit_result clnf_tracker::start_in_box(const cv::Mat& frame, const cv::Rect2d& box,
                                           const std::vector<cv::Vec3d>& rotations) {
  has_previous_ = false;
  clnf_fit_result best;
  best.params.scale = 0.0;
  best.params.local.assign(model_->pdm().mode_count(), 0.0);
  bool found = false;
  const cv::Mat& image = grey(frame);
  // The hypotheses compete on the main model's likelihood, which the part models do not
  // change: only the winner's parts are fitted (the same result as fitting every one's).
  clnf_fit_options main_only = options_.detection;
  main_only.refine_parts = false;
  for (const cv::Vec3d& rotation : rotations) {
    const pdm_params init = clnf_params_in_box(model_->pdm(), box, rotation);
    if (!(init.scale > 0))
      continue;
    clnf_fit_result r = model_->fit(image, init, main_only);
    if (!found || r.likelihood > best.likelihood) {
      best = std::move(r);
      found = true;
    }
  }
  if (found && options_.detection.refine_parts)
    model_->refine_parts(image, best);
  if (found) {
    previous_ = best.params;
    has_previous_ = true;
  }
  return best;
}

namespace {

// Whole float ulps, because that is the precision the fit's state is rounded to in OpenFace's
// float build: a smaller offset would stand for no rounding difference at all.
pdm_params offset_by_ulps(pdm_params start, int ulps) {
  float tx = static_cast<float>(start.tx), ty = static_cast<float>(start.ty);
  for (int k = 0; k < std::abs(ulps); ++k) {
    tx = std::nextafter(tx, ulps > 0 ? HUGE_VALF : -HUGE_VALF);
    ty = std::nextafter(ty, ulps > 0 ? -HUGE_VALF : HUGE_VALF);
  }
  start.tx = tx;
  start.ty = ty;
  return start;
}

}  // namespace

clnf_fit_result clnf_tracker::follow(const cv::Mat& frame, bool after_failure) {
  FACEMIRROR_CHECK(has_previous_, "clnf_tracker::follow needs a previous fit");
  const pdm_params start = options_.start_offset_ulps == 0
                               ? previous_
                               : offset_by_ulps(previous_, options_.start_offset_ulps);
  clnf_fit_result r =
      model_->fit(grey(frame), start, after_failure ? options_.detection : options_.tracking);
  previous_ = r.params;
  return r;
}

clnf_fit_result clnf_tracker::start(const cv::Mat& frame, const landmarks_2d& estimate) {
  has_previous_ = false;
  const pdm_params init = model_->pdm().fit(estimate);
  if (!(init.scale > 0)) {
    clnf_fit_result r;
    r.landmarks = estimate;
    return r;
  }
  clnf_fit_result r = model_->fit(grey(frame), init, options_.detection);
  previous_ = r.params;
  has_previous_ = true;
  return r;
}

clnf_fit_result clnf_tracker::refine(const cv::Mat& frame, const landmarks_2d& estimate) {
  if (options_.track && has_previous_) {
    // Keep following only while the previous fit still agrees with the external estimate.
    const landmarks_2d prev = model_->pdm().project(previous_);
    double d = 0;
    for (int i = 0; i < landmark_count; ++i)
      d += cv::norm(prev[i] - estimate[i]);
    if (d / landmark_count < options_.max_drift * previous_.scale * 100.0)
      return follow(frame);
  }
  return start(frame, estimate);
}

}  // namespace facemirror
