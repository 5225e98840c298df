// Batch normalisation and dropout on the CPU. Statistics are per channel (the last axis) over
// `rows` = batch x pixels rows of `channels` contiguous values.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../../core/random.hpp"
#include "../../detail/config.hpp"

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
                                         T epsilon);

  // A batch split into parts, each on its own thread: the part's row count, then per channel the
  // mean and the sum of squared deviations of its rows, into `mine` (1 + 2 channels doubles).
  template <class T>
  static void batchnorm_part_statistics(const T* x, double* mine, std::size_t channels,
                                        std::size_t rows);
  // Then every part: the batch's mean and variance from all `parts` records (`stride` doubles
  // apart, combined in part order, so each part gets the same numbers), applied to its own rows.
  // The running statistics are updated where given (by one part).
  template <class T>
  static void batchnorm_forward_from_parts(const T* x, T* y, T* x_hat, T* inv_std, const T* gamma,
                                           const T* beta, T* running_mean, T* running_var,
                                           const double* records, std::size_t stride,
                                           unsigned parts, std::size_t channels, std::size_t rows,
                                           T momentum, T epsilon);

  template <class T>
  static void batchnorm_forward_inference(const T* x, T* y, const T* gamma, const T* beta,
                                          const T* running_mean, const T* running_var,
                                          std::size_t channels, std::size_t rows, T epsilon);

  template <class T>
  static void batchnorm_backward(const T* dy, const T* x_hat, const T* inv_std, const T* gamma,
                                 T* dx, T* dgamma, T* dbeta, std::size_t channels,
                                 std::size_t rows);

  // A batch split into parts: the sums of dy and dy * x_hat over the part's rows into `mine`
  // (2 channels doubles) and added to this part's dgamma and dbeta (the parts' gradients are
  // summed afterwards, as for any split batch).
  template <class T>
  static void batchnorm_backward_part_sums(const T* dy, const T* x_hat, double* mine, T* dgamma,
                                           T* dbeta, std::size_t channels, std::size_t rows);
  // Then every part: its rows' input gradient from the batch's sums (all `parts` records,
  // `stride` doubles apart) over `total_rows` rows.
  template <class T>
  static void batchnorm_backward_from_parts(const T* dy, const T* x_hat, const T* inv_std,
                                            const T* gamma, T* dx, const double* records,
                                            std::size_t stride, unsigned parts,
                                            std::size_t channels, std::size_t rows,
                                            std::size_t total_rows);

  // Inverted dropout: kept units are scaled by 1 / (1 - rate) so inference needs no rescaling.
  // Unit i's draw is counter_uniform(seed, offset + i): the same mask wherever it is computed.
  template <class T>
  static void dropout_forward(const T* x, T* y, T* mask, std::size_t n, double rate,
                              std::uint64_t seed, std::uint64_t offset);

 private:
  // Channels [c0, c0 + width): the mean and the sum of squared deviations of `rows` rows, in two
  // passes (no cancellation in the variance).
  template <class T>
  static void statistics(const T* x, std::size_t channels, std::size_t rows, std::size_t c0,
                         std::size_t width, double* mean_out, double* squares_out) {
    double mean[channel_block] = {}, squares[channel_block] = {};  // locals: kept in registers
    for (std::size_t r = 0; r < rows; ++r) {
      const T* row = x + r * channels + c0;
      for (std::size_t c = 0; c < width; ++c) mean[c] += double(row[c]);
    }
    for (std::size_t c = 0; c < width; ++c) mean[c] /= double(rows ? rows : 1);
    for (std::size_t r = 0; r < rows; ++r) {
      const T* row = x + r * channels + c0;
      for (std::size_t c = 0; c < width; ++c) {
        const double d = double(row[c]) - mean[c];
        squares[c] += d * d;
      }
    }
    std::copy_n(mean, width, mean_out);
    std::copy_n(squares, width, squares_out);
  }
  // Channels [c0, c0 + width) of `rows` rows normalised with the batch's mean and variance;
  // inv_std kept for backward, the running statistics updated where given.
  template <class T>
  static void normalize(const T* x, T* y, T* x_hat, T* inv_std, const T* gamma, const T* beta,
                        T* running_mean, T* running_var, std::size_t channels, std::size_t rows,
                        std::size_t c0, std::size_t width, const double* mean, const double* var,
                        T momentum, T epsilon) {
    T inv[channel_block], mean_t[channel_block], g[channel_block], b[channel_block];
    for (std::size_t c = 0; c < width; ++c) {
      inv[c] = T(1) / std::sqrt(T(var[c]) + epsilon);
      mean_t[c] = T(mean[c]);
      g[c] = gamma[c0 + c], b[c] = beta[c0 + c];
      inv_std[c0 + c] = inv[c];
    }
    if (running_mean)
      for (std::size_t c = 0; c < width; ++c) {
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
  // Channels [c0, c0 + width): sums of dy and dy * x_hat over `rows` rows, added to dgamma, dbeta.
  template <class T>
  static void gradient_sums(const T* dy, const T* x_hat, T* dgamma, T* dbeta, std::size_t channels,
                            std::size_t rows, std::size_t c0, std::size_t width, double* sum_dy_out,
                            double* sum_dy_xhat_out) {
    double sum_dy[channel_block] = {}, sum_dy_xhat[channel_block] = {};
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t at = r * channels + c0;
      for (std::size_t c = 0; c < width; ++c) {
        sum_dy[c] += double(dy[at + c]);
        sum_dy_xhat[c] += double(dy[at + c]) * double(x_hat[at + c]);
      }
    }
    for (std::size_t c = 0; c < width; ++c) {
      dgamma[c0 + c] += T(sum_dy_xhat[c]);
      dbeta[c0 + c] += T(sum_dy[c]);
    }
    std::copy_n(sum_dy, width, sum_dy_out);
    std::copy_n(sum_dy_xhat, width, sum_dy_xhat_out);
  }
  // dx = gamma inv_std / N (N dy - sum dy - x_hat sum dy x_hat), N the batch's rows.
  template <class T>
  static void input_gradient(const T* dy, const T* x_hat, const T* inv_std, const T* gamma, T* dx,
                             std::size_t channels, std::size_t rows, std::size_t c0,
                             std::size_t width, const double* sum_dy, const double* sum_dy_xhat,
                             double total_rows) {
    const T n = T(total_rows);
    T k[channel_block], s_dy[channel_block], s_dy_xhat[channel_block];
    for (std::size_t c = 0; c < width; ++c) {
      k[c] = gamma[c0 + c] * inv_std[c0 + c] / n;
      s_dy[c] = T(sum_dy[c]), s_dy_xhat[c] = T(sum_dy_xhat[c]);
    }
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t at = r * channels + c0;
      for (std::size_t c = 0; c < width; ++c)
        dx[at + c] = k[c] * (n * dy[at + c] - s_dy[c] - x_hat[at + c] * s_dy_xhat[c]);
    }
  }
};

template <class T>
void Normalization::batchnorm_forward_training(const T* x, T* y, T* x_hat, T* inv_std,
                                               const T* gamma, const T* beta, T* running_mean,
                                               T* running_var, std::size_t channels,
                                               std::size_t rows, T momentum, T epsilon) {
  for (std::size_t c0 = 0; c0 < channels; c0 += channel_block) {
    const std::size_t width = std::min(channel_block, channels - c0);
    double mean[channel_block], var[channel_block];
    statistics(x, channels, rows, c0, width, mean, var);
    for (std::size_t c = 0; c < width; ++c) var[c] /= double(rows);
    normalize(x, y, x_hat, inv_std, gamma, beta, running_mean, running_var, channels, rows, c0,
              width, mean, var, momentum, epsilon);
  }
}

template <class T>
void Normalization::batchnorm_part_statistics(const T* x, double* mine, std::size_t channels,
                                              std::size_t rows) {
  mine[0] = double(rows);
  for (std::size_t c0 = 0; c0 < channels; c0 += channel_block) {
    const std::size_t width = std::min(channel_block, channels - c0);
    statistics(x, channels, rows, c0, width, mine + 1 + c0, mine + 1 + channels + c0);
  }
}

template <class T>
void Normalization::batchnorm_forward_from_parts(const T* x, T* y, T* x_hat, T* inv_std,
                                                 const T* gamma, const T* beta, T* running_mean,
                                                 T* running_var, const double* records,
                                                 std::size_t stride, unsigned parts,
                                                 std::size_t channels, std::size_t rows, T momentum,
                                                 T epsilon) {
  double total = 0;
  for (unsigned p = 0; p < parts; ++p) total += records[p * stride];
  for (std::size_t c0 = 0; c0 < channels; c0 += channel_block) {
    const std::size_t width = std::min(channel_block, channels - c0);
    double mean[channel_block] = {}, var[channel_block] = {};
    for (unsigned p = 0; p < parts; ++p)
      for (std::size_t c = 0; c < width; ++c)
        mean[c] += records[p * stride] * records[p * stride + 1 + c0 + c];
    for (std::size_t c = 0; c < width; ++c) mean[c] /= total;
    // Chan et al.'s combination: each part's squared deviations about its own mean, plus its
    // rows' shift to the batch mean. No cancellation, as in the two-pass whole-batch variance.
    for (unsigned p = 0; p < parts; ++p) {
      const double* record = records + p * stride;
      for (std::size_t c = 0; c < width; ++c) {
        const double shift = record[1 + c0 + c] - mean[c];
        var[c] += record[1 + channels + c0 + c] + record[0] * shift * shift;
      }
    }
    for (std::size_t c = 0; c < width; ++c) var[c] /= total;
    normalize(x, y, x_hat, inv_std, gamma, beta, running_mean, running_var, channels, rows, c0,
              width, mean, var, momentum, epsilon);
  }
}

template <class T>
void Normalization::batchnorm_forward_inference(const T* x, T* y, const T* gamma, const T* beta,
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
void Normalization::batchnorm_backward(const T* dy, const T* x_hat, const T* inv_std,
                                       const T* gamma, T* dx, T* dgamma, T* dbeta,
                                       std::size_t channels, std::size_t rows) {
  for (std::size_t c0 = 0; c0 < channels; c0 += channel_block) {
    const std::size_t width = std::min(channel_block, channels - c0);
    double sum_dy[channel_block], sum_dy_xhat[channel_block];
    gradient_sums(dy, x_hat, dgamma, dbeta, channels, rows, c0, width, sum_dy, sum_dy_xhat);
    if (dx)
      input_gradient(dy, x_hat, inv_std, gamma, dx, channels, rows, c0, width, sum_dy, sum_dy_xhat,
                     double(rows));
  }
}

template <class T>
void Normalization::batchnorm_backward_part_sums(const T* dy, const T* x_hat, double* mine,
                                                 T* dgamma, T* dbeta, std::size_t channels,
                                                 std::size_t rows) {
  for (std::size_t c0 = 0; c0 < channels; c0 += channel_block) {
    const std::size_t width = std::min(channel_block, channels - c0);
    gradient_sums(dy, x_hat, dgamma, dbeta, channels, rows, c0, width, mine + c0,
                  mine + channels + c0);
  }
}

template <class T>
void Normalization::batchnorm_backward_from_parts(const T* dy, const T* x_hat, const T* inv_std,
                                                  const T* gamma, T* dx, const double* records,
                                                  std::size_t stride, unsigned parts,
                                                  std::size_t channels, std::size_t rows,
                                                  std::size_t total_rows) {
  for (std::size_t c0 = 0; c0 < channels; c0 += channel_block) {
    const std::size_t width = std::min(channel_block, channels - c0);
    double sum_dy[channel_block] = {}, sum_dy_xhat[channel_block] = {};
    for (unsigned p = 0; p < parts; ++p)
      for (std::size_t c = 0; c < width; ++c) {
        sum_dy[c] += records[p * stride + c0 + c];
        sum_dy_xhat[c] += records[p * stride + channels + c0 + c];
      }
    input_gradient(dy, x_hat, inv_std, gamma, dx, channels, rows, c0, width, sum_dy, sum_dy_xhat,
                   double(total_rows));
  }
}

template <class T>
void Normalization::dropout_forward(const T* x, T* y, T* mask, std::size_t n, double rate,
                                    std::uint64_t seed, std::uint64_t offset) {
  const T keep_scale = T(1.0 / (1.0 - rate));
  for (std::size_t i = 0; i < n; ++i) {
    mask[i] = counter_uniform(seed, offset + i) >= rate ? keep_scale : T(0);
    y[i] = x[i] * mask[i];
  }
}

#if defined(TG_SEPARATE_COMPILATION)
TG_EXTERN_TEMPLATE void Normalization::batchnorm_forward_training<float>(
    const float* x, float* y, float* x_hat, float* inv_std, const float* gamma, const float* beta,
    float* running_mean, float* running_var, std::size_t channels, std::size_t rows, float momentum,
    float epsilon);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_forward_training<double>(
    const double* x, double* y, double* x_hat, double* inv_std, const double* gamma,
    const double* beta, double* running_mean, double* running_var, std::size_t channels,
    std::size_t rows, double momentum, double epsilon);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_part_statistics<float>(const float* x,
                                                                        double* mine,
                                                                        std::size_t channels,
                                                                        std::size_t rows);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_part_statistics<double>(const double* x,
                                                                         double* mine,
                                                                         std::size_t channels,
                                                                         std::size_t rows);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_forward_from_parts<float>(
    const float* x, float* y, float* x_hat, float* inv_std, const float* gamma, const float* beta,
    float* running_mean, float* running_var, const double* records, std::size_t stride,
    unsigned parts, std::size_t channels, std::size_t rows, float momentum, float epsilon);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_forward_from_parts<double>(
    const double* x, double* y, double* x_hat, double* inv_std, const double* gamma,
    const double* beta, double* running_mean, double* running_var, const double* records,
    std::size_t stride, unsigned parts, std::size_t channels, std::size_t rows, double momentum,
    double epsilon);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_forward_inference<float>(
    const float* x, float* y, const float* gamma, const float* beta, const float* running_mean,
    const float* running_var, std::size_t channels, std::size_t rows, float epsilon);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_forward_inference<double>(
    const double* x, double* y, const double* gamma, const double* beta, const double* running_mean,
    const double* running_var, std::size_t channels, std::size_t rows, double epsilon);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_backward<float>(
    const float* dy, const float* x_hat, const float* inv_std, const float* gamma, float* dx,
    float* dgamma, float* dbeta, std::size_t channels, std::size_t rows);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_backward<double>(
    const double* dy, const double* x_hat, const double* inv_std, const double* gamma, double* dx,
    double* dgamma, double* dbeta, std::size_t channels, std::size_t rows);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_backward_part_sums<float>(
    const float* dy, const float* x_hat, double* mine, float* dgamma, float* dbeta,
    std::size_t channels, std::size_t rows);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_backward_part_sums<double>(
    const double* dy, const double* x_hat, double* mine, double* dgamma, double* dbeta,
    std::size_t channels, std::size_t rows);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_backward_from_parts<float>(
    const float* dy, const float* x_hat, const float* inv_std, const float* gamma, float* dx,
    const double* records, std::size_t stride, unsigned parts, std::size_t channels,
    std::size_t rows, std::size_t total_rows);
TG_EXTERN_TEMPLATE void Normalization::batchnorm_backward_from_parts<double>(
    const double* dy, const double* x_hat, const double* inv_std, const double* gamma, double* dx,
    const double* records, std::size_t stride, unsigned parts, std::size_t channels,
    std::size_t rows, std::size_t total_rows);
TG_EXTERN_TEMPLATE void Normalization::dropout_forward<float>(const float* x, float* y, float* mask,
                                                              std::size_t n, double rate,
                                                              std::uint64_t seed,
                                                              std::uint64_t offset);
TG_EXTERN_TEMPLATE void Normalization::dropout_forward<double>(const double* x, double* y,
                                                               double* mask, std::size_t n,
                                                               double rate, std::uint64_t seed,
                                                               std::uint64_t offset);
#endif

}  // namespace tensorguard::cpu
