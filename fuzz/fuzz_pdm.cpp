// OpenFace's PDM text files (pdms/In-the-wild_aligned_PDM_68.txt): the 68-point reader and the
// CLNF's any-point-count reader.
#include "facemirror/landmarks/pdm.h"

#include "fuzz_support.h"
#include "landmarks/clnf_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facemirror;
  const auto file = fuzz::write_input(data, size, "pdm.txt");
  fuzz::parse_or_reject([&] { (void)point_distribution_model::load(file); });
  return fuzz::parse_or_reject([&] {
    const auto shape = detail::shape_model::load(file);
    fuzz::check(shape.points() > 0 && shape.modes() >= 0);
  });
}
