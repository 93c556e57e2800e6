// OpenFace's binary CCNF patch experts (patch_experts/ccnf_patches_*.txt), Sigma precomputed as
// the CLNF loader does, for the smallest window the files hold (3: a 9x9 inverse per patch,
// where the fits' 9 and 11 would spend each run in matrix inversion instead of parsing).
#include "fuzz_support.h"
#include "landmarks/clnf_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return facemirror::fuzz::parse_or_reject([&] {
    (void)facemirror::detail::load_ccnf_scale(
        facemirror::fuzz::write_input(data, size, "ccnf_patches.txt"), {3});
  });
}
