// Batch normalisation and dropout on the CPU. Statistics are per channel (the last axis) over
// `rows` = batch x pixels rows of `channels` contiguous values.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../../core/random.hpp"

namespace tensorguard::cpu {

struct Normalization {
  template <class T>
  static void batchnorm_forward_training(const T* x, T* y, T* x_hat, T* inv_std, const T* gamma,
                                         const T* beta, T* running_mean, T* running_var,
                                         std::size_t channels, std::size_t rows, T momentum,
                                         T epsilon) {
    for (std::size_t c = 0; c < channels; ++c) {
      double mean = 0;
      for (std::size_t r = 0; r < rows; ++r) mean += x[r * channels + c];
      mean /= double(rows);
      double var = 0;
      for (std::size_t r = 0; r < rows; ++r) {
        const double d = x[r * channels + c] - mean;
        var += d * d;
      }
      var /= double(rows);
      const T inv = T(1) / std::sqrt(T(var) + epsilon);
      inv_std[c] = inv;
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t i = r * channels + c;
        x_hat[i] = (x[i] - T(mean)) * inv;
        y[i] = gamma[c] * x_hat[i] + beta[c];
      }
      running_mean[c] = momentum * running_mean[c] + (T(1) - momentum) * T(mean);
      running_var[c] = momentum * running_var[c] + (T(1) - momentum) * T(var);
    }
  }

  template <class T>
  static void batchnorm_forward_inference(const T* x, T* y, const T* gamma, const T* beta,
                                          const T* running_mean, const T* running_var,
                                          std::size_t channels, std::size_t rows, T epsilon) {
    for (std::size_t c = 0; c < channels; ++c) {
      const T scale = gamma[c] / std::sqrt(running_var[c] + epsilon);
      const T shift = beta[c] - running_mean[c] * scale;
      for (std::size_t r = 0; r < rows; ++r)
        y[r * channels + c] = x[r * channels + c] * scale + shift;
    }
  }

  template <class T>
  static void batchnorm_backward(const T* dy, const T* x_hat, const T* inv_std, const T* gamma,
                                 T* dx, T* dgamma, T* dbeta, std::size_t channels,
                                 std::size_t rows) {
    for (std::size_t c = 0; c < channels; ++c) {
      double sum_dy = 0, sum_dy_xhat = 0;
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t i = r * channels + c;
        sum_dy += dy[i];
        sum_dy_xhat += double(dy[i]) * x_hat[i];
      }
      dgamma[c] += T(sum_dy_xhat);
      dbeta[c] += T(sum_dy);
      if (!dx) continue;
      const T k = gamma[c] * inv_std[c] / T(rows);
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t i = r * channels + c;
        dx[i] = k * (T(rows) * dy[i] - T(sum_dy) - x_hat[i] * T(sum_dy_xhat));
      }
    }
  }

  // Inverted dropout: kept units are scaled by 1 / (1 - rate) so inference needs no rescaling.
  // Unit i's draw is counter_uniform(seed, offset + i): the same mask wherever it is computed.
  template <class T>
  static void dropout_forward(const T* x, T* y, T* mask, std::size_t n, double rate,
                              std::uint64_t seed, std::uint64_t offset) {
    const T keep_scale = T(1.0 / (1.0 - rate));
    for (std::size_t i = 0; i < n; ++i) {
      mask[i] = counter_uniform(seed, offset + i) >= rate ? keep_scale : T(0);
      y[i] = x[i] * mask[i];
    }
  }
};

}  // namespace tensorguard::cpu
