// OpenFace's triangulation text files (tris_68.txt, tris_68_full.txt).
#include "facemirror/align/face_aligner.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return facemirror::fuzz::parse_or_reject([&] {
    (void)facemirror::triangulation::load(facemirror::fuzz::write_input(data, size, "tris.txt"));
  });
}
