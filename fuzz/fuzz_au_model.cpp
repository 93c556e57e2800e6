// OpenFace's binary linear AU models (AU_predictors/svr_*/ and svm_*/*.dat).
#include "facemirror/au/linear_model.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return facemirror::fuzz::parse_or_reject([&] {
    const auto m = facemirror::read_linear_au_model(
        facemirror::fuzz::write_input(data, size, "AU_1.dat"), "AU01");
    facemirror::fuzz::check(!m.means.empty() && m.weights.size() == m.means.size());
  });
}
