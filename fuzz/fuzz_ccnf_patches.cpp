// OpenFace's binary CCNF patch experts (patch_experts/ccnf_patches_*.txt), Sigma precomputed
// for two window sizes as the CLNF loader does.
#include "fuzz_support.h"
#include "landmarks/clnf_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return facemirror::fuzz::parse_or_reject([&] {
    (void)facemirror::detail::load_ccnf_scale(
        facemirror::fuzz::write_input(data, size, "ccnf_patches.txt"), {9, 11});
  });
}
