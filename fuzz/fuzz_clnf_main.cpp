// OpenFace's CLNF description files (main_clnf_general.txt, clnf_general.txt and the part
// models' main files). The input is written as the main file; what its entries name resolves in
// the scratch folder, where the input itself is the only file, so a mutated main file can name
// itself as its level file or part model and reach those parsers too.
#include "facemirror/landmarks/clnf.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return facemirror::fuzz::parse_or_reject([&] {
    (void)facemirror::clnf_model::load(facemirror::fuzz::write_input(data, size, "main.txt"));
  });
}
