// The compiled part of tensorguard, for programs built with TG_SEPARATE_COMPILATION (see
// detail/config.hpp and docs/performance.md, "Compile time"): the CPU kernels for float and
// double and the machinery that does not depend on a model's shapes. Include it in exactly one
// .cpp file of the program, alone, built with the same flags as the rest (CMake's
// tensorguard::compiled target is that file). The program's other files then compile only what
// depends on their models.
#pragma once
#if !defined(TG_SEPARATE_COMPILATION)
#error \
    "<tensorguard/compiled.hpp> is for programs built with -DTG_SEPARATE_COMPILATION everywhere; without it tensorguard is headers only and needs no compiled part"
#endif
#if defined(TG_CONFIG_SEEN)
#error \
    "<tensorguard/compiled.hpp> must come before any other tensorguard header: give it a .cpp file of its own"
#endif
#define TG_COMPILING_LIBRARY 1
#include "tensorguard.hpp"
