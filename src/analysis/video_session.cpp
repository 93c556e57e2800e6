#include "facemirror/analysis/video_session.h"

#include <string>

#include "facemirror/error.h"

#include "frame_order.h"

namespace facemirror {
namespace {

const analysis_models& checked(const std::shared_ptr<const analysis_models>& models) {
  if (!models || !models->clnf)
    throw error(error_code::invalid_argument, "video_session: needs the CLNF models");
  return *models;
}

}  // namespace

video_session::video_session(std::shared_ptr<const analysis_models> models,
                             std::optional<camera_intrinsics> camera,
                             const face_tracker_options& tracking)
    : models_(std::move(models)),
      given_camera_(camera),
      camera_(camera),
      landmarks_(checked(models_), tracking) {
  if (camera)
    camera->check();
  if (models_->aus)
    aus_.emplace(models_->aus);
}

frame_record video_session::track(const cv::Mat& bgr, double timestamp_s) {
  // A new video starts with finish() (the camera and the tracking are the first frame's).
  detail::check_next_frame("video_session", "finish()", bgr, timestamp_s, next_index_ == 0,
                           last_timestamp_s_);
  last_timestamp_s_ = timestamp_s;
  if (!camera_)
    camera_ = camera_intrinsics::guess(bgr.cols, bgr.rows);
  video_frame frame;
  frame.index = next_index_;
  frame.timestamp_s = timestamp_s;
  frame.bgr = bgr;  // shares the caller's pixels; analyse_frame only reads them
  analysed_frame analysed = analyse_frame(frame, landmarks_, *models_, *camera_);
  ++next_index_;  // a frame whose analysis threw is not counted
  if (aus_ && analysed.features)
    aus_->add_frame(*analysed.features);
  return std::move(analysed.record);
}

std::vector<au_values> video_session::finish() {
  std::vector<au_values> values;
  if (aus_)
    values = aus_->finish();
  landmarks_.reset();
  camera_ = given_camera_;
  next_index_ = 0;
  return values;
}

}  // namespace facemirror
