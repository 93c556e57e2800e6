// OpenFace's AU model list files (AU_predictors/AU_all_static.txt...) and the main file that
// names the list, the PDM and the triangulation (main_static_svms.txt): the input is written as
// both, and the main file's entries point into the scratch folder, where nothing else exists.
#include "facemirror/au/au_engine.h"
#include "facemirror/au/linear_model.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facemirror;
  fuzz::parse_or_reject([&] {
    for (const auto& entry : read_au_list(fuzz::write_input(data, size, "AU_list.txt")))
      fuzz::check(!entry.au.empty());
  });
  fuzz::write_input(data, size, "main_static_svms.txt");
  return fuzz::parse_or_reject(
      [&] { (void)au_model_set::load(fuzz::scratch_dir(), au_model_set::kind::static_only); });
}
