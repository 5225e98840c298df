// Batch normalisation and dropout on the CPU. Statistics are per channel (the last axis) over
// `rows` = batch x pixels rows of `channels` contiguous values.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../../core/random.hpp"

namespace tensorguard::cpu {

struct Normalization {
  // The loops run over rows with the channels innermost (contiguous in NHWC), a block of
  // channels at a time with their sums in a local array: each pass reads the data once in
  // order, where a loop per channel would stride through all of it once per channel.
  static constexpr std::size_t channel_block = 64;

  template <class T>
  static void batchnorm_forward_training(const T* x, T* y, T* x_hat, T* inv_std, const T* gamma,
                                         const T* beta, T* running_mean, T* running_var,
                                         std::size_t channels, std::size_t rows, T momentum,
                                         T epsilon) {
    for (std::size_t c0 = 0; c0 < channels; c0 += channel_block) {
      const std::size_t width = std::min(channel_block, channels - c0);
      double mean[channel_block] = {}, var[channel_block] = {};
      for (std::size_t r = 0; r < rows; ++r) {
        const T* row = x + r * channels + c0;
        for (std::size_t c = 0; c < width; ++c) mean[c] += double(row[c]);
      }
      for (std::size_t c = 0; c < width; ++c) mean[c] /= double(rows);
      for (std::size_t r = 0; r < rows; ++r) {  // two passes: no cancellation in the variance
        const T* row = x + r * channels + c0;
        for (std::size_t c = 0; c < width; ++c) {
          const double d = double(row[c]) - mean[c];
          var[c] += d * d;
        }
      }
      T inv[channel_block], mean_t[channel_block], g[channel_block], b[channel_block];
      for (std::size_t c = 0; c < width; ++c) {
        var[c] /= double(rows);
        inv[c] = T(1) / std::sqrt(T(var[c]) + epsilon);
        mean_t[c] = T(mean[c]);
        g[c] = gamma[c0 + c], b[c] = beta[c0 + c];
        inv_std[c0 + c] = inv[c];
        running_mean[c0 + c] = momentum * running_mean[c0 + c] + (T(1) - momentum) * T(mean[c]);
        running_var[c0 + c] = momentum * running_var[c0 + c] + (T(1) - momentum) * T(var[c]);
      }
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t at = r * channels + c0;
        for (std::size_t c = 0; c < width; ++c) {
          const T h = (x[at + c] - mean_t[c]) * inv[c];
          x_hat[at + c] = h;
          y[at + c] = g[c] * h + b[c];
        }
      }
    }
  }

  template <class T>
  static void batchnorm_forward_inference(const T* x, T* y, const T* gamma, const T* beta,
                                          const T* running_mean, const T* running_var,
                                          std::size_t channels, std::size_t rows, T epsilon) {
    for (std::size_t c0 = 0; c0 < channels; c0 += channel_block) {
      const std::size_t width = std::min(channel_block, channels - c0);
      T scale[channel_block], shift[channel_block];
      for (std::size_t c = 0; c < width; ++c) {
        scale[c] = gamma[c0 + c] / std::sqrt(running_var[c0 + c] + epsilon);
        shift[c] = beta[c0 + c] - running_mean[c0 + c] * scale[c];
      }
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t at = r * channels + c0;
        for (std::size_t c = 0; c < width; ++c) y[at + c] = x[at + c] * scale[c] + shift[c];
      }
    }
  }

  template <class T>
  static void batchnorm_backward(const T* dy, const T* x_hat, const T* inv_std, const T* gamma,
                                 T* dx, T* dgamma, T* dbeta, std::size_t channels,
                                 std::size_t rows) {
    for (std::size_t c0 = 0; c0 < channels; c0 += channel_block) {
      const std::size_t width = std::min(channel_block, channels - c0);
      double sum_dy[channel_block] = {}, sum_dy_xhat[channel_block] = {};
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t at = r * channels + c0;
        for (std::size_t c = 0; c < width; ++c) {
          sum_dy[c] += double(dy[at + c]);
          sum_dy_xhat[c] += double(dy[at + c]) * double(x_hat[at + c]);
        }
      }
      T k[channel_block], s_dy[channel_block], s_dy_xhat[channel_block];
      for (std::size_t c = 0; c < width; ++c) {
        dgamma[c0 + c] += T(sum_dy_xhat[c]);
        dbeta[c0 + c] += T(sum_dy[c]);
        k[c] = gamma[c0 + c] * inv_std[c0 + c] / T(rows);
        s_dy[c] = T(sum_dy[c]), s_dy_xhat[c] = T(sum_dy_xhat[c]);
      }
      if (!dx) continue;
      const T n = T(rows);
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t at = r * channels + c0;
        for (std::size_t c = 0; c < width; ++c)
          dx[at + c] = k[c] * (n * dy[at + c] - s_dy[c] - x_hat[at + c] * s_dy_xhat[c]);
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
