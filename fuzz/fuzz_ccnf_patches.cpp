// OpenFace's binary CCNF patch experts (patch_experts/ccnf_patches_*.txt) and their Sigma, for
// the smallest window the files hold (3: a 9x9 inverse per patch, where the fits' 9 and 11
// would spend each run in matrix inversion instead of parsing). Sigma is computed on first use
// since loading stopped precomputing it, so the target asks for it the way a fit does.
#include "fuzz_support.h"
#include "landmarks/clnf_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return facemirror::fuzz::parse_or_reject([&] {
    const facemirror::detail::ccnf_scale scale = facemirror::detail::load_ccnf_scale(
        facemirror::fuzz::write_input(data, size, "ccnf_patches.txt"), {3});
    cv::Mat_<float> scratch;
    for (const auto& view : scale.patches)
      for (const auto& patch : view)
        if (!patch.empty())
          (void)patch.sigma_for(3, scale.sigma_components, scratch);
  });
}
