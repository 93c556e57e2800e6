// OpenFace's binary CNN detection validator (detection_validation/validator_cnn.txt).
#include "facemirror/landmarks/detection_validator.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return facemirror::fuzz::parse_or_reject([&] {
    (void)facemirror::detection_validator::load(
        facemirror::fuzz::write_input(data, size, "validator_cnn.txt"));
  });
}
