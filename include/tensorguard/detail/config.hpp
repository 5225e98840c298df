// Portability macros shared by every backend.
#pragma once
#define TG_CONFIG_SEEN 1  // <tensorguard/compiled.hpp> checks it came first

#if defined(__CUDACC__)
#define TG_HOST_DEVICE __host__ __device__
#else
#define TG_HOST_DEVICE
#endif

// Separate compilation (docs/performance.md, "Compile time"). By default tensorguard is headers
// only. A program built with TG_SEPARATE_COMPILATION defined everywhere sees only declarations of
// the code that does not depend on its model's shapes (the CPU kernels for float and double, the
// training monitor, the file readers and writers, the guards' reports), and exactly one of its
// translation units compiles <tensorguard/compiled.hpp>, which defines them (CMake:
// tensorguard::compiled). Every part of one program must be built the same way, with the same
// target flags (-march).
//   TG_OUT_OF_LINE        precedes a non-template function defined in a header: `inline` when
//                         headers only, nothing (one external definition) when compiled apart.
//   TG_HEADER_DEFINITIONS is 0 in a program's translation units when compiled apart: they skip
//                         the definitions that <tensorguard/compiled.hpp> provides.
//   TG_EXTERN_TEMPLATE    precedes the explicit instantiations (float, double) of the kernels:
//                         `extern template` in the program, `template` in the compiled part.
#if defined(TG_SEPARATE_COMPILATION)
#define TG_OUT_OF_LINE
#if defined(TG_COMPILING_LIBRARY)
#define TG_HEADER_DEFINITIONS 1
#define TG_EXTERN_TEMPLATE template
#else
#define TG_HEADER_DEFINITIONS 0
#define TG_EXTERN_TEMPLATE extern template
#endif
#else
#define TG_OUT_OF_LINE inline
#define TG_HEADER_DEFINITIONS 1
#endif
