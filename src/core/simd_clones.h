#pragma once
// Internal to the library: FACEMIRROR_SIMD_CLONES marks a hot function for a second build with
// twice the vector width where the CPU has AVX2, picked at load time (GCC's target_clones).
//
// FMA stays off in both versions, so each lane still rounds a product and then a sum as the
// SSE2 build does: a marked function must give the same bits on either path, and the callers
// rely on that (byte-identical output on any x86-64 machine of one build). Sanitizer builds get
// one version: the clone's ifunc resolver runs before ThreadSanitizer's runtime is up and
// crashes. So does clang (the fuzz build): clang 14 leaves dispatched member functions
// undefined at link time.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__) || defined(__clang__)
#define FACEMIRROR_SIMD_CLONES
#else
#define FACEMIRROR_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#endif
