#pragma once
// OpenFace 2.2's run description "<stem>_of_details.txt", written beside its outputs: the
// input, the camera intrinsics used, the files written and which CSV column groups are in.
//
// FORMAT (as OpenFace 2.2 writes it; the reference is hog_simalign/changeLighting_of_details.txt)
//   Input:<input>\nInput full path:<the path opened>\nCamera parameters:fx,fy,cx,cy\n
//   [Output HOG:<file name>\n][Output aligned directory:<folder name>\n]Output csv:<file name>\n
//   then "Gaze: 0|1", "AUs: ", "Landmarks 2D: ", "Landmarks 3D: ", "Pose: ",
//   "Shape parameters: ", one a line. Intrinsics print with 6 significant digits
//   ("458.333", "500"). OpenFace writes the "Output csv" line and the column groups as it opens
//   the CSV, at the first face written: a photograph without a face (no CSV) has neither.
//
// THREAD SAFETY
//   Pure.

#include <filesystem>
#include <optional>
#include <string>

namespace facemirror {

struct of_details {
  std::filesystem::path input;       // as given on the command line
  std::filesystem::path input_full;  // as opened (OpenFace's is not made absolute)
  double fx = 0, fy = 0, cx = 0, cy = 0;
  std::optional<std::string> hog;             // file name, when written
  std::optional<std::string> aligned_folder;  // folder name, when written
  std::optional<std::string> csv;             // file name, when written
  bool gaze = false, aus = false, landmarks_2d = false, landmarks_3d = false, pose = false,
       shape_parameters = false;
};

[[nodiscard]] std::string format_of_details(const of_details& details);

}  // namespace facemirror
