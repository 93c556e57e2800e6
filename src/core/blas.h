#pragma once
// Internal to the library: the Fortran BLAS single-precision product (OpenBLAS on Debian), the
// entry point OpenFace 2.2 and cv::gemm call, so a product we send to it rounds as theirs do.
// C = alpha * op(A) * op(B) + beta * C, column-major, every argument by pointer.
//
// THREAD SAFETY: reentrant; the engine makes OpenBLAS single-threaded
// (make_libraries_single_threaded, src/pipeline/engine.cpp) since its workers fill every core.
extern "C" void sgemm_(const char* transa, const char* transb, const int* m, const int* n,
                       const int* k, const float* alpha, const float* a, const int* lda,
                       const float* b, const int* ldb, const float* beta, float* c, const int* ldc);
