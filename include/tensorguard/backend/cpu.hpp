// The CPU backend: every op family the layers use, mapped with Eigen over our own buffers.
// A backend is a type whose (static or member) functions are the ops listed in docs/backends.md;
// layers call nothing else, so another backend (CUDA) supplies the same names.
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "cpu/blas.hpp"
#include "cpu/elementwise.hpp"
#include "cpu/loss.hpp"
#include "cpu/normalization.hpp"
#include "cpu/update.hpp"
#include "cpu/window.hpp"

namespace tensorguard {

struct Cpu : cpu::Blas,
             cpu::Elementwise,
             cpu::Window,
             cpu::Normalization,
             cpu::Update,
             cpu::LossOps {
  using Op = cpu::Op;
  static constexpr const char* name = "Cpu";
};

}  // namespace tensorguard
