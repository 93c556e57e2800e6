// FHOG through dlib, in OpenFace's flatten order.
#include <algorithm>
#include <cmath>
#include <string>

#include <dlib/image_transforms/fhog.h>
#include <dlib/opencv/cv_image.h>

#include "facemirror/error.h"
#include "facemirror/features/au_descriptors.h"

namespace facemirror {
namespace {

template <typename pixel>
std::vector<float> fhog_of(const cv::Mat& image, int cell_size) {
  // cv_image wants a non-const Mat header; it only reads the pixels.
  cv::Mat header = image;
  const dlib::cv_image<pixel> view(header);
  dlib::array2d<dlib::matrix<float, 31, 1>> hog;
  dlib::extract_fhog_features(view, hog, cell_size);
  std::vector<float> out;
  out.reserve(static_cast<size_t>(hog.nr() * hog.nc() * fhog_orientations));
  for (long r = 0; r < hog.nr(); ++r)
    for (long c = 0; c < hog.nc(); ++c)
      for (long o = 0; o < fhog_orientations; ++o)
        out.push_back(hog[r][c](o));
  return out;
}

}  // namespace

std::vector<float> extract_fhog(const cv::Mat& image, int cell_size) {
  if (image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
    throw error(error_code::invalid_argument,
                "extract_fhog: expected an 8-bit grey or BGR image, got type " +
                    std::to_string(image.type()));
  if (cell_size < 1)
    throw error(error_code::invalid_argument, "extract_fhog: bad cell size");
  return image.channels() == 3 ? fhog_of<dlib::bgr_pixel>(image, cell_size)
                               : fhog_of<unsigned char>(image, cell_size);
}

int fhog_length(int size, int cell_size) {
  const int cells = std::max(0, static_cast<int>(std::lround(double(size) / cell_size)) - 2);
  return cells * cells * fhog_orientations;
}

}  // namespace facemirror
