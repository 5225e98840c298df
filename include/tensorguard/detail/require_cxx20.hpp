// Compiling as C++17 or older fails here with one message, not 2000 lines about C++20 features.
#pragma once

#if defined(_MSVC_LANG) ? _MSVC_LANG < 202002L : __cplusplus < 202002L
#if defined(__CUDACC__)
#error \
    "tensorguard needs C++20: compile with -std=c++20 (for .cu files in CMake 3.25: target_compile_options(<your target> PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-std=c++20>))"
#else
#error \
    "tensorguard needs C++20: compile with -std=c++20 (CMake: target_compile_features(<your target> PRIVATE cxx_std_20), which linking tensorguard::tensorguard adds)"
#endif
// A missing include is fatal: it ends the compilation before the C++20 code below cascades.
#include <tensorguard_stops_here_compile_with_std_cxx20>
#endif
