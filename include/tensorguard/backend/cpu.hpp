// The CPU backend: every op family the layers use, mapped with Eigen over our own buffers.
// A backend is a type whose (static or member) functions are the ops listed in docs/backends.md;
// layers call nothing else, so another backend (CUDA) supplies the same names.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <type_traits>

#include "cpu/blas.hpp"
#include "cpu/convolution.hpp"
#include "cpu/elementwise.hpp"
#include "cpu/loss.hpp"
#include "cpu/normalization.hpp"
#include "cpu/update.hpp"
#include "cpu/window.hpp"
#include "memory.hpp"

namespace tensorguard {

struct Cpu : cpu::Blas,
             cpu::Convolution,
             cpu::Elementwise,
             cpu::Window,
             cpu::Normalization,
             cpu::Update,
             cpu::LossOps {
  using Op = cpu::Op;
  using memory = HostMemory;  // plain host pointers: no transfer costs anything but a memcpy
  static constexpr const char* name = "Cpu";

  Cpu() = default;
  explicit Cpu(unsigned threads) : cpu::Blas(threads) {}

  // Bytes of per-sample buffers (layer outputs, caches, gradients) one micro-batch may fill.
  // The model runs larger batches through the network in micro-batches of this size, so the
  // buffers stay in cache (docs/performance.md has the measurements behind the default).
  // Host memory is the CPU's device memory: transfers are copies.
  template <class T>
  static void upload(const T* host, T* device, std::size_t n) {
    if (n && host != device) std::memcpy(device, host, n * sizeof(T));
  }
  template <class T>
  static void download(const T* device, T* host, std::size_t n) {
    if (n && host != device) std::memcpy(host, device, n * sizeof(T));
  }

  // What the memory guard compares a batch against: MemAvailable from /proc/meminfo (0 if
  // unknown).
  static std::size_t available_memory_bytes() {
    std::ifstream in("/proc/meminfo");
    std::string key, unit;
    std::size_t kb = 0;
    while (in >> key >> kb >> unit)
      if (key == "MemAvailable:") return kb * 1024;
    return 0;
  }

  std::size_t working_set_bytes() const { return working_set_bytes_; }
  void set_working_set_bytes(std::size_t bytes) {
    working_set_bytes_ = std::max<std::size_t>(bytes, 1);
  }

 private:
  std::size_t working_set_bytes_ = std::size_t(4) << 20;
};

}  // namespace tensorguard
