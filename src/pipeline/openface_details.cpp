#include "openface_details.h"

#include <filesystem>

#include "facemirror/output/atomic_file.h"

namespace facemirror::detail {

of_details openface_details(const video_job& job, const engine_options& options, int width,
                            int height, bool hog, bool aligned, bool csv) {
  const camera_intrinsics camera = options.camera.for_frame(width, height);
  const openface_outputs out = openface_outputs_for(job.output_csv);
  of_details details;
  details.input = job.input;
  // OpenFace's "full path" is the path it opened, not made absolute: its reference
  // (hog_simalign/changeLighting_of_details.txt) prints the relative path it was given twice.
  details.input_full = job.input;
  details.fx = camera.fx;
  details.fy = camera.fy;
  details.cx = camera.cx;
  details.cy = camera.cy;
  if (hog)
    details.hog = out.hog.filename().string();
  if (aligned)
    details.aligned_folder = out.aligned_folder.filename().string();
  if (csv)
    details.csv = job.output_csv.filename().string();
  // The CSV's column groups, as OpenFace lists its output selectors.
  const csv_outputs& groups = options.outputs;
  details.gaze = groups.gaze;
  details.aus = options.compute_aus && groups.aus;
  details.landmarks_2d = groups.landmarks_2d;
  details.landmarks_3d = groups.landmarks_3d;
  details.pose = groups.pose;
  details.shape_parameters = groups.pdm_params;
  return details;
}

void write_openface_details(const of_details& details, const video_job& job) {
  atomic_file file(openface_outputs_for(job.output_csv).details);
  file.write(format_of_details(details));
  file.commit();
}

}  // namespace facemirror::detail
