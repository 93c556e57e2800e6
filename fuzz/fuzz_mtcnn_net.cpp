// OpenFace's MTCNN weights (mtcnn_detector/PNet.dat, RNet.dat, ONet.dat). A net that loads is
// run once on a small image: the loader's checks are what keep forward() in bounds.
#include <opencv2/core.hpp>

#include "facemirror/detect/mtcnn_detector.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return facemirror::fuzz::parse_or_reject([&] {
    const auto net =
        facemirror::mtcnn_net::load(facemirror::fuzz::write_input(data, size, "PNet.dat"));
    (void)net.forward(cv::Mat(24, 24, CV_32FC3, cv::Scalar(0.1, -0.2, 0.3)));
  });
}
