// OpenFace's PDM text files (pdms/In-the-wild_aligned_PDM_68.txt), loaded as the 68-point model
// and for any point count (the CLNF's part models).
#include "facemirror/landmarks/pdm.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facemirror;
  const auto file = fuzz::write_input(data, size, "pdm.txt");
  fuzz::parse_or_reject([&] { (void)point_distribution_model::load(file); });
  return fuzz::parse_or_reject([&] {
    const auto pdm =
        point_distribution_model::load(file, point_distribution_model::any_point_count);
    fuzz::check(pdm.point_count() > 0 && pdm.mode_count() >= 0);
  });
}
