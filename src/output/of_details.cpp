#include "facemirror/output/of_details.h"

#include <sstream>

namespace facemirror {

std::string format_of_details(const of_details& d) {
  // A default ostream prints the intrinsics as OpenFace's details file shows them: %g, 6 digits.
  std::ostringstream out;
  out << "Input:" << d.input.string() << "\n";
  out << "Input full path:" << d.input_full.string() << "\n";
  out << "Camera parameters:" << d.fx << "," << d.fy << "," << d.cx << "," << d.cy << "\n";
  if (d.hog)
    out << "Output HOG:" << *d.hog << "\n";
  if (d.aligned_folder)
    out << "Output aligned directory:" << *d.aligned_folder << "\n";
  if (!d.csv)
    return out.str();
  out << "Output csv:" << *d.csv << "\n";
  out << "Gaze: " << int(d.gaze) << "\n";
  out << "AUs: " << int(d.aus) << "\n";
  out << "Landmarks 2D: " << int(d.landmarks_2d) << "\n";
  out << "Landmarks 3D: " << int(d.landmarks_3d) << "\n";
  out << "Pose: " << int(d.pose) << "\n";
  out << "Shape parameters: " << int(d.shape_parameters) << "\n";
  return out.str();
}

}  // namespace facemirror
