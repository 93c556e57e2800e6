#pragma once
// What the analysis classes share about one CLNF fit: the validator's verdict on it and the CSV
// fields it gives (pose, 3-D landmarks, eyes, gaze, static-model AUs).

#include "facemirror/analysis/landmark_session.h"
#include "facemirror/output/csv_writer.h"

namespace facemirror::detail {

/// The smallest box holding every landmark.
[[nodiscard]] cv::Rect2d landmark_box(const landmarks_2d& landmarks);

/// The validator's verdict on a fit; a fit that shrank below CLNF's smallest face failed
/// unvalidated (certainty 0, as OpenFace).
[[nodiscard]] detection_check validate_fit(const detection_validator& validator, const cv::Mat& bgr,
                                           const clnf_fit_result& fit);

/// A row for one fitted face (FaceLandmarkImg's and FaceLandmarkVidMulti's): its landmarks and
/// parameters, pose and 3-D landmarks in `camera`, its eyes, the gaze only when `gaze`, and,
/// with AU models (which must be the static ones), the AUs of the face whatever the validator
/// said, as both OpenFace tools measure them. Index, timestamp, confidence, success and
/// face_id are the caller's.
[[nodiscard]] frame_record describe_fit(const cv::Mat& bgr, const landmarks_2d& landmarks,
                                        const pdm_params& params, const eye_pair& eyes, bool gaze,
                                        const analysis_models& models,
                                        const camera_intrinsics& camera);

}  // namespace facemirror::detail
