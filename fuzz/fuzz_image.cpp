// Still images (read_image: whatever OpenCV's imgcodecs decodes, as 8-bit BGR).
#include "facemirror/io/image_reader.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return facemirror::fuzz::parse_or_reject([&] {
    const cv::Mat image =
        facemirror::read_image(facemirror::fuzz::write_input(data, size, "image.png"));
    facemirror::fuzz::check(!image.empty() && image.type() == CV_8UC3);
  });
}
