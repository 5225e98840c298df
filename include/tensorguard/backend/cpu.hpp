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

  Cpu() = default;
  explicit Cpu(unsigned threads) : cpu::Blas(threads) {}

  // Bytes of per-sample buffers (layer outputs, caches, gradients) one micro-batch may fill.
  // The model runs larger batches through the network in micro-batches of this size, so the
  // buffers stay in cache (docs/performance.md has the measurements behind the default).
  std::size_t working_set_bytes() const { return working_set_bytes_; }
  void set_working_set_bytes(std::size_t bytes) {
    working_set_bytes_ = std::max<std::size_t>(bytes, 1);
  }

 private:
  std::size_t working_set_bytes_ = std::size_t(16) << 20;
};

}  // namespace tensorguard
