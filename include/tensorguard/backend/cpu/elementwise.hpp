// Elementwise maps, softmax over the last axis and strided copies on the CPU.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

namespace tensorguard::cpu {

struct Elementwise {
  template <class A, class T>
  static void activation_forward(const T* __restrict z, T* __restrict y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = A::forward(z[i]);
  }
  template <class A, class T>
  static void activation_in_place(T* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = A::forward(y[i]);
  }
  // dz = dy * A'(z) (y = A(z) is passed for activations whose derivative is cheaper from it).
  template <class A, class T>
  static void activation_backward(const T* __restrict z, const T* __restrict y,
                                  const T* __restrict dy, T* __restrict dz, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) dz[i] = dy[i] * A::derivative(z[i], y[i]);
  }

  // Softmax over contiguous groups of `classes` values (log-sum-exp shifted by the max).
  template <class T>
  static void softmax_forward(const T* z, T* y, std::size_t classes, std::size_t groups) {
    for (std::size_t g = 0; g < groups; ++g, z += classes, y += classes) {
      const T top = *std::max_element(z, z + classes);
      T sum = 0;
      for (std::size_t c = 0; c < classes; ++c) sum += (y[c] = std::exp(z[c] - top));
      const T inv = T(1) / sum;
      for (std::size_t c = 0; c < classes; ++c) y[c] *= inv;
    }
  }
  // dz = y * (dy - <dy, y>) per group.
  template <class T>
  static void softmax_backward(const T* y, const T* dy, T* dz, std::size_t classes,
                               std::size_t groups) {
    for (std::size_t g = 0; g < groups; ++g, y += classes, dy += classes, dz += classes) {
      T dot = 0;
      for (std::size_t c = 0; c < classes; ++c) dot += dy[c] * y[c];
      for (std::size_t c = 0; c < classes; ++c) dz[c] = y[c] * (dy[c] - dot);
    }
  }

  template <class T>
  static void copy(const T* src, T* dst, std::size_t n) {
    if (n && src != dst) std::memcpy(dst, src, n * sizeof(T));
  }
  template <class T>
  static void fill(T* dst, T value, std::size_t n) {
    std::fill_n(dst, n, value);
  }
  // y += x
  template <class T>
  static void accumulate(const T* x, T* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] += x[i];
  }
  // z = x + y
  template <class T>
  static void add(const T* x, const T* y, T* z, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) z[i] = x[i] + y[i];
  }
  template <class T>
  static void multiply(const T* x, const T* y, T* z, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) z[i] = x[i] * y[i];
  }

  // count blocks of `block` values from src (advancing src_stride) to dst (advancing dst_stride):
  // the gather/scatter behind Concat along any axis.
  template <class T>
  static void copy_blocks(const T* src, std::size_t src_stride, T* dst, std::size_t dst_stride,
                          std::size_t block, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
      std::memcpy(dst + i * dst_stride, src + i * src_stride, block * sizeof(T));
  }
};

}  // namespace tensorguard::cpu
