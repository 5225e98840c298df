// Losses, metrics, the guards' reductions and batch normalisation of the CUDA backend: sums into
// double, as the CPU's. The only FP64 arithmetic in float models is here, by design (the step
// record and the batch statistics are summed in double on both backends).
#include <tensorguard/losses/binary_crossentropy.hpp>
#include <tensorguard/losses/categorical_crossentropy.hpp>
#include <tensorguard/losses/huber.hpp>
#include <tensorguard/losses/mean_absolute_error.hpp>
#include <tensorguard/losses/mean_squared_error.hpp>
#include <tensorguard/losses/sparse_categorical_crossentropy.hpp>

#include "context.cuh"

namespace tensorguard::cuda {

template <class T, class L>
void count_correct(Context& c, LabelKind kind, const T* y, const L* labels, size_t width,
                   size_t label_width, size_t n, T threshold, double* into) {
  if (kind == LabelKind::real) return;  // regression has no accuracy
  reduce(c, SampleCorrect<T, L>{y, labels, kind, width, label_width, threshold}, n, into,
         "count_correct");
}
template <class T>
void sum_squares(Context& c, const T* x, size_t n, double* into) {
  reduce(c, SquareOf<T>{x}, n, into, "sum_squares");
}
template <class T>
void sum_squared_difference(Context& c, const T* a, const T* b, size_t n, double* into) {
  reduce(c, SquaredDifference<T>{a, b}, n, into, "sum_squared_difference");
}
template <class T>
void mark_active(Context& c, const T* y, size_t count, size_t last, double* flags) {
  launch(c, MarkActive<T>{y, last, flags}, count, "mark_active");
}
template <class T>
void count_outside(Context& c, const T* y, size_t n, T lo, T hi, double* into) {
  reduce(c, Outside<T>{y, lo, hi}, n, into, "count_outside");
}

// One block per channel: the mean, then the variance about it (two passes, as the CPU), then
// the normalised values.
template <class T>
__global__ void batchnorm_training_kernel(const T* x, T* y, T* x_hat, T* inv_std, const T* gamma,
                                          const T* beta, T* running_mean, T* running_var,
                                          size_t channels, size_t rows, T momentum, T epsilon) {
  __shared__ double statistic;
  const size_t c = blockIdx.x;
  double sum = 0;
  for (size_t r = threadIdx.x; r < rows; r += blockDim.x) sum += double(x[r * channels + c]);
  sum = block_sum(sum);
  if (threadIdx.x == 0) statistic = sum / double(rows);
  __syncthreads();
  const double mean = statistic;
  __syncthreads();
  double squares = 0;
  for (size_t r = threadIdx.x; r < rows; r += blockDim.x) {
    const double d = double(x[r * channels + c]) - mean;
    squares += d * d;
  }
  squares = block_sum(squares);
  if (threadIdx.x == 0) statistic = squares / double(rows);
  __syncthreads();
  const double var = statistic;
  const T inv = T(1) / sqrt(T(var) + epsilon);
  for (size_t r = threadIdx.x; r < rows; r += blockDim.x) {
    const size_t i = r * channels + c;
    x_hat[i] = (x[i] - T(mean)) * inv;
    y[i] = gamma[c] * x_hat[i] + beta[c];
  }
  if (threadIdx.x == 0) {
    inv_std[c] = inv;
    running_mean[c] = momentum * running_mean[c] + (T(1) - momentum) * T(mean);
    running_var[c] = momentum * running_var[c] + (T(1) - momentum) * T(var);
  }
}

template <class T>
__global__ void batchnorm_backward_kernel(const T* dy, const T* x_hat, const T* inv_std,
                                          const T* gamma, T* dx, T* dgamma, T* dbeta,
                                          size_t channels, size_t rows) {
  __shared__ double sums[2];
  const size_t c = blockIdx.x;
  double sum_dy = 0, sum_dy_xhat = 0;
  for (size_t r = threadIdx.x; r < rows; r += blockDim.x) {
    const size_t i = r * channels + c;
    sum_dy += double(dy[i]);
    sum_dy_xhat += double(dy[i]) * double(x_hat[i]);
  }
  sum_dy = block_sum(sum_dy);
  sum_dy_xhat = block_sum(sum_dy_xhat);
  if (threadIdx.x == 0) {
    sums[0] = sum_dy;
    sums[1] = sum_dy_xhat;
    dgamma[c] += T(sum_dy_xhat);
    dbeta[c] += T(sum_dy);
  }
  __syncthreads();
  if (!dx) return;
  const T total_dy = T(sums[0]), total_dy_xhat = T(sums[1]);
  const T k = gamma[c] * inv_std[c] / T(rows);
  for (size_t r = threadIdx.x; r < rows; r += blockDim.x) {
    const size_t i = r * channels + c;
    dx[i] = k * (T(rows) * dy[i] - total_dy - x_hat[i] * total_dy_xhat);
  }
}

template <class T>
void batchnorm_forward_training(Context& c, const T* x, T* y, T* x_hat, T* inv_std, const T* gamma,
                                const T* beta, T* running_mean, T* running_var, size_t channels,
                                size_t rows, T momentum, T epsilon) {
  if (channels == 0) return;
  batchnorm_training_kernel<<<unsigned(channels), threads_per_block, 0, c.stream>>>(
      x, y, x_hat, inv_std, gamma, beta, running_mean, running_var, channels, rows, momentum,
      epsilon);
  check(cudaGetLastError(), "batchnorm_forward_training");
  count_launch();
}
template <class T>
void batchnorm_forward_inference(Context& c, const T* x, T* y, const T* gamma, const T* beta,
                                 const T* running_mean, const T* running_var, size_t channels,
                                 size_t rows, T epsilon) {
  launch(c, BatchNormInference<T>{x, y, gamma, beta, running_mean, running_var, channels, epsilon},
         channels * rows, "batchnorm_forward_inference");
}
template <class T>
void batchnorm_backward(Context& c, const T* dy, const T* x_hat, const T* inv_std, const T* gamma,
                        T* dx, T* dgamma, T* dbeta, size_t channels, size_t rows) {
  if (channels == 0) return;
  batchnorm_backward_kernel<<<unsigned(channels), threads_per_block, 0, c.stream>>>(
      dy, x_hat, inv_std, gamma, dx, dgamma, dbeta, channels, rows);
  check(cudaGetLastError(), "batchnorm_backward");
  count_launch();
}

#define TG_INSTANTIATE(T)                                                                          \
  template void count_correct<T, T>(Context&, LabelKind, const T*, const T*, size_t, size_t,       \
                                    size_t, T, double*);                                           \
  template void count_correct<T, std::int32_t>(Context&, LabelKind, const T*, const std::int32_t*, \
                                               size_t, size_t, size_t, T, double*);                \
  template void sum_squares<T>(Context&, const T*, size_t, double*);                               \
  template void sum_squared_difference<T>(Context&, const T*, const T*, size_t, double*);          \
  template void mark_active<T>(Context&, const T*, size_t, size_t, double*);                       \
  template void count_outside<T>(Context&, const T*, size_t, T, T, double*);                       \
  template void batchnorm_forward_training<T>(Context&, const T*, T*, T*, T*, const T*, const T*,  \
                                              T*, T*, size_t, size_t, T, T);                       \
  template void batchnorm_forward_inference<T>(Context&, const T*, T*, const T*, const T*,         \
                                               const T*, const T*, size_t, size_t, T);             \
  template void batchnorm_backward<T>(Context&, const T*, const T*, const T*, const T*, T*, T*,    \
                                      T*, size_t, size_t);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
#undef TG_INSTANTIATE

}  // namespace tensorguard::cuda

// The built-in losses; fused ones (after Softmax or Sigmoid) run as FromLogits<...>.
#define TG_BUILT_IN_LOSSES(T)                                                                 \
  TG_CUDA_LOSS(tensorguard::loss::MeanSquaredError, T);                                       \
  TG_CUDA_LOSS(tensorguard::loss::MeanAbsoluteError, T);                                      \
  TG_CUDA_LOSS(tensorguard::loss::HuberLoss<>, T);                                            \
  TG_CUDA_LOSS(tensorguard::loss::BinaryCrossentropy, T);                                     \
  TG_CUDA_LOSS(tensorguard::loss::FromLogits<tensorguard::loss::BinaryCrossentropy>, T);      \
  TG_CUDA_LOSS(tensorguard::loss::CategoricalCrossentropy, T);                                \
  TG_CUDA_LOSS(tensorguard::loss::FromLogits<tensorguard::loss::CategoricalCrossentropy>, T); \
  TG_CUDA_LOSS_FOR(tensorguard::loss::SparseCategoricalCrossentropy, T, std::int32_t);        \
  TG_CUDA_LOSS_FOR(                                                                           \
      tensorguard::loss::FromLogits<tensorguard::loss::SparseCategoricalCrossentropy>, T,     \
      std::int32_t)
TG_BUILT_IN_LOSSES(float);
TG_BUILT_IN_LOSSES(double);
