#include "facemirror/analysis/landmark_session.h"

#include <future>
#include <limits>

#include <opencv2/imgproc.hpp>

#include "facemirror/detect/face_detector.h"
#include "facemirror/error.h"

#include "face_fit.h"

namespace facemirror {
namespace {

cv::Point2d centre(const cv::Rect2d& r) {
  return {r.x + r.width / 2, r.y + r.height / 2};
}

bool has_face(const landmarks_2d& landmarks) {
  return landmarks[0] != cv::Point2d() || landmarks[landmark_count - 1] != cv::Point2d();
}

}  // namespace

analysis_models::analysis_models(const model_paths& paths, bool compute_aus, bool static_aus,
                                 bool use_clnf, clnf_start start) {
  verify_model_checksums(paths);  // before any parser reads a damaged file
  // The two largest models load on threads of their own while this one reads the rest: the
  // loads are independent, and start-up was two seconds of every run on one core.
  auto clnf_loading = std::async(std::launch::async,
                                 [&] { return use_clnf ? clnf_model::load(paths.clnf) : nullptr; });
  auto dlib_loading = std::async(std::launch::async, [&] {
    // The first face_detector reads dlib's HOG detector (~0.02 s), which every worker's
    // session would otherwise wait for when it starts.
    (void)face_detector{};
    return std::make_shared<const landmark_model>(paths.dlib_landmarks);
  });
  if (use_clnf) {
    validator = detection_validator::load(paths.validator);
    if (start == clnf_start::mtcnn_box)
      mtcnn = std::make_shared<const mtcnn_detector>(mtcnn_detector::load(paths.mtcnn.string()));
  }
  pdm = std::make_shared<const point_distribution_model>(point_distribution_model::load(paths.pdm));
  if (compute_aus) {
    aus = au_model_set::load(paths.au_predictors, static_aus ? au_model_set::kind::static_only
                                                             : au_model_set::kind::dynamic);
    extractor = std::make_shared<const au_feature_extractor>(aus);
  }
  clnf = clnf_loading.get();  // rethrows a load's error here (the other future waits on exit)
  landmarks = dlib_loading.get();
}

landmark_session::landmark_session(const analysis_models& models,
                                   const face_tracker_options& options)
    : tracker_(models.landmarks, options),
      validator_(models.validator),
      mtcnn_(models.mtcnn),
      mtcnn_new_faces_(options.acquire_score <= face_tracker_options{}.acquire_score) {
  if (models.clnf) {
    FACEMIRROR_CHECK(validator_ != nullptr, "landmark_session: CLNF needs the detection validator");
    clnf_.emplace(models.clnf);
    part_names_ = models.clnf->part_names();
  }
}

void landmark_session::reset() {
  tracker_.reset();
  if (clnf_)
    clnf_->reset();
  last_ = landmarks_2d{};
  tracking_ = false;
  failures_ = -1;
  accepted_ = false;
  fit_params_.reset();
  confidence_ = 0.0;
  eyes_ = eye_pair{};
}

detection_check landmark_session::validate(const cv::Mat& bgr, const clnf_fit_result& fit) const {
  return detail::validate_fit(*validator_, bgr, fit);
}

void landmark_session::take(clnf_fit_result& fit, const detection_check& check,
                            face_observation& seen) {
  seen.confidence = confidence_ = check.certainty;
  seen.success = check.success;
  last_ = fit.landmarks;
  fit_params_ = std::move(fit.params);
  // A fit stopped as too small has no part fits: the eyes keep their last fit.
  if (!fit.parts.empty())
    eyes_ = eye_parts_of(part_names_, fit.parts);
}

void landmark_session::redetect(const cv::Mat& bgr, face_observation& seen) {
  const pdm_params tracked = clnf_->previous();
  clnf_fit_result fit;
  if (mtcnn_) {
    // OpenFace: MTCNN on the whole frame, the widest face, CLNF from its box.
    const auto box = mtcnn_face(bgr, cv::Point2d(), std::numeric_limits<double>::infinity(), true);
    if (!box)
      return;
    fit = clnf_->start_in_box(bgr, *box, clnf_box_rotations());
  } else {
    tracker_.lost_near(detail::landmark_box(last_));
    const face_observation detected = tracker_.track(bgr, landmark_fitting::on_acquisition);
    if (!detected.success)
      return;
    fit = clnf_->start(bgr, detected.fitted ? detected.landmarks : tracker_.fit_landmarks(bgr));
  }
  if (!(fit.params.scale > 0)) {
    clnf_->resume(tracked);
    return;
  }
  const detection_check check = validate(bgr, fit);
  if (check.success) {
    take(fit, check, seen);
    failures_ = -1;
    return;
  }
  // Rejected: OpenFace goes on from the tracked fit, but its certainty is the re-detection's,
  // and so are its eyes (it restores only the main model's parameters).
  seen.confidence = confidence_ = check.certainty;
  if (!fit.parts.empty())
    eyes_ = eye_parts_of(part_names_, fit.parts);
  clnf_->resume(tracked);
}

face_observation landmark_session::observe_natural(const cv::Mat& bgr,
                                                   std::optional<pdm_params>& clnf_params) {
  face_observation seen;
  seen.confidence = confidence_;
  if (tracking_) {
    clnf_fit_result fit = clnf_->follow(bgr, !accepted_);
    take(fit, validate(bgr, fit), seen);
    failures_ = seen.success ? -1 : failures_ + 1;
    if (!seen.success && failures_ % openface_reinit_every == 0)
      redetect(bgr, seen);
  } else if ((failures_ + 1) % (6 * openface_reinit_every) == 0 && mtcnn_) {
    // A face given up after openface_max_failures: OpenFace's first detection again, whose fit
    // it follows even when the validator rejects it.
    const auto box = mtcnn_face(bgr, cv::Point2d(), std::numeric_limits<double>::infinity(), true);
    if (box) {
      clnf_fit_result fit = clnf_->start_in_box(bgr, *box, clnf_box_rotations());
      if (fit.params.scale > 0) {
        take(fit, validate(bgr, fit), seen);
        tracking_ = true;
        failures_ = -1;
      }
    }
  }
  if (!tracking_)
    ++failures_;
  if (failures_ > openface_max_failures && mtcnn_)
    tracking_ = false;  // (without MTCNN, dlib's detector goes on re-detecting it instead)
  accepted_ = seen.success;
  seen.landmarks = last_;
  clnf_params = fit_params_;
  return seen;
}

landmark_session::state landmark_session::save() const {
  state s;
  s.tracker = tracker_.save();
  if (clnf_)
    s.clnf = clnf_->save();
  s.last = last_;
  s.tracking = tracking_;
  s.failures = failures_;
  s.accepted = accepted_;
  s.fit_params = fit_params_;
  s.confidence = confidence_;
  s.eyes = eyes_;
  return s;
}

void landmark_session::restore(const state& s) {
  tracker_.restore(s.tracker);
  if (clnf_)
    clnf_->restore(s.clnf);
  last_ = s.last;
  tracking_ = s.tracking;
  failures_ = s.failures;
  accepted_ = s.accepted;
  fit_params_ = s.fit_params;
  confidence_ = s.confidence;
  eyes_ = s.eyes;
}

void landmark_session::judge(const cv::Mat& bgr, clnf_fit_result& fit, face_observation& seen,
                             std::optional<pdm_params>& params) {
  // A new face: OpenFace follows its first fit even when the validator rejects it ("the
  // validator might be wrong").
  if (!(fit.params.scale > 0)) {
    seen = no_face(seen);
    return;
  }
  const detection_check check = validate(bgr, fit);
  take(fit, check, seen);
  seen.landmarks = last_;
  tracking_ = true;
  failures_ = -1;
  accepted_ = seen.success;
  params = fit_params_;
}

face_observation landmark_session::no_face(face_observation seen) const {
  seen.success = false;
  seen.landmarks = last_;
  return seen;
}

face_observation landmark_session::restart(const cv::Mat& bgr, const landmarks_2d& estimate,
                                           std::optional<pdm_params>& params) {
  clnf_fit_result fit = clnf_->start(bgr, estimate);
  face_observation seen;
  judge(bgr, fit, seen, params);
  return seen;
}

std::optional<cv::Rect2d> landmark_session::mtcnn_face(const cv::Mat& bgr, cv::Point2d at,
                                                       double radius, bool widest) const {
  // OpenFace scans the whole frame for faces from 60 px up.
  std::optional<cv::Rect2d> found;
  double best = 0;
  for (const face_detection& f : mtcnn_->detect(bgr, mtcnn_->options().min_face_px)) {
    const cv::Rect2d b = mtcnn_box_to_clnf(f.box);
    const double d = cv::norm(centre(b) - at);
    if (d > radius)
      continue;
    // Most probable first: on a tie the earlier face stays (as OpenFace's widest-face choice).
    const double key = widest ? b.width : -d;
    if (!found || key > best) {
      found = b;
      best = key;
    }
  }
  return found;
}

bool landmark_session::restart_in_box(const cv::Mat& bgr, const cv::Rect2d& box,
                                      face_observation& seen, std::optional<pdm_params>& params) {
  clnf_fit_result fit = clnf_->start_in_box(bgr, box, clnf_box_rotations());
  if (!(fit.params.scale > 0))
    return false;
  judge(bgr, fit, seen, params);
  return true;
}

face_observation landmark_session::observe(const cv::Mat& bgr,
                                           std::optional<pdm_params>& clnf_params) {
  clnf_params.reset();
  if (!clnf_)
    return tracker_.track(bgr);
  if (has_face(last_))
    return observe_natural(bgr, clnf_params);  // a face tracked, or given up
  face_observation seen;
  // A new face (none seen yet in this video or segment): dlib's detector decides whether and
  // which one (the largest, as OpenFace, scoring at least face_tracker_options::acquire_score).
  // With MTCNN, CLNF starts in MTCNN's box of that face (the nearest centre, within half
  // dlib's box side), as OpenFace starts from its own detection; else from dlib's landmarks.
  const face_observation detected = tracker_.track(bgr, landmark_fitting::on_acquisition);
  if (!detected.success) {
    // dlib's detector misses faces under ~80 px that OpenFace's MTCNN finds (default.wmv
    // shrunk to 130x98, a face 38 px wide, is found and followed from frame 1): then the new
    // face is MTCNN's widest anywhere in the frame, OpenFace's own choice.
    if (mtcnn_ && mtcnn_new_faces_) {
      const auto box = mtcnn_face(bgr, {0, 0}, std::numeric_limits<double>::infinity(), true);
      if (box && restart_in_box(bgr, *box, seen, clnf_params))
        return seen;
    }
    return no_face(seen);
  }
  if (mtcnn_) {
    const auto box =
        mtcnn_face(bgr, centre(detected.face_box), 0.5 * detected.face_box.width, false);
    if (box && restart_in_box(bgr, *box, seen, clnf_params))
      return seen;
  }
  // The tracker fits landmarks only when it acquired the face anew; when it merely followed
  // its box (its last face was never accepted by the validator), fit them now.
  return restart(bgr, detected.fitted ? detected.landmarks : tracker_.fit_landmarks(bgr),
                 clnf_params);
}

namespace {

// The face written for OpenFace's -simalign when its scale, size or mask are not the AU face's:
// aligned as the AU face (the same re-fitted PDM), or black where that face is.
void align_for_output(const analysis_models& models, const cv::Mat& bgr,
                      const landmarks_2d& landmarks, analysed_frame& out) {
  const face_aligner& aligner = *models.output_aligner;
  if (out.features && out.features->success) {
    out.aligned_face =
        aligner.align(bgr, landmarks, out.features->params, models.output_masked).image;
    if (out.aligned_face.channels() == 4)
      cv::cvtColor(out.aligned_face, out.aligned_face, cv::COLOR_BGRA2BGR);
  } else {
    out.aligned_face = cv::Mat(aligner.size(), aligner.size(), CV_8UC3, cv::Scalar::all(0));
  }
}

}  // namespace

analysed_frame analyse_frame(const video_frame& frame, landmark_session& landmarks,
                             const analysis_models& models, const camera_intrinsics& camera) {
  analysed_frame out;
  frame_record& r = out.record;
  r.index = frame.index;
  r.timestamp_s = frame.timestamp_s;
  out.damage = frame.damage;

  cv::Mat* aligned = models.keep_aligned_faces ? &out.aligned_face : nullptr;
  std::optional<pdm_params> clnf_params;
  const face_observation seen = landmarks.observe(frame.bgr, clnf_params);
  r.success = seen.success;
  r.confidence = seen.confidence;
  r.landmarks = seen.landmarks;

  // The AU features, and the face OpenFace's -simalign writes when it is not the AU face's.
  const auto extract_features = [&](bool face_found) {
    if (!models.extractor)
      return;
    out.features = models.extractor->extract(frame.bgr, seen.landmarks, face_found, aligned);
    if (aligned && models.output_aligner)
      align_for_output(models, frame.bgr, seen.landmarks, out);
  };

  // Until a face has been seen there is nothing to fit: OpenFace writes zeros there.
  const bool never_seen = !seen.success && seen.landmarks[0] == cv::Point2d() &&
                          seen.landmarks[landmark_count - 1] == cv::Point2d();
  if (never_seen) {
    r.params.local.assign(models.pdm->mode_count(), 0.0);
    r.params.scale = 0.0;
    extract_features(false);
    return out;
  }

  // The AU extractor re-fits the PDM itself (as OpenFace's FaceAnalyser does). OpenFace's p_*
  // and pose columns come from the landmark fit: CLNF's own parameters when CLNF is on; with
  // dlib alone, the AU extractor's fit is reused rather than fitting twice.
  extract_features(seen.success);
  if (clnf_params) {
    r.params = *clnf_params;
  } else if (out.features) {
    r.params = out.features->params;
  } else {
    r.params = models.pdm->fit(seen.landmarks);
  }
  r.pose = estimate_head_pose(*models.pdm, r.params, r.landmarks, camera);
  r.landmarks_mm = landmarks_in_camera_space(*models.pdm, r.params, r.landmarks, camera);
  r.eyes = observe_eyes(landmarks.eyes(), r.landmarks_mm, r.pose, camera, r.success);
  return out;
}

}  // namespace facemirror
