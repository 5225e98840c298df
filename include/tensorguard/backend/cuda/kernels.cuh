// For .cu files only: how the CUDA backend launches its functors, and the templates behind the
// activation and loss ops. The built-in activations and losses are instantiated in the
// tensorguard::cuda library. A model with an activation or loss of your own compiles one .cu:
//
//   #include <tensorguard/backend/cuda/kernels.cuh>
//   #include "my_activation.hpp"
//   TG_CUDA_ACTIVATION(MyActivation)        // or TG_CUDA_LOSS(MyLoss, float)
//
// and links it with the model (without it the linker names the missing activation_forward<...>).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

#include "functors.hpp"
#include "ops.hpp"

namespace tensorguard::cuda {

cudaStream_t stream_of(Context&);
int multiprocessors(Context&);
void check(cudaError_t status, const char* what);  // throws Error naming `what`
void count_launch();

template <class F>
__global__ void for_each_index(F f, size_t n) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += size_t(blockDim.x) * gridDim.x)
    f(i);
}

inline constexpr unsigned threads_per_block = 256;

// f(i) for i in [0, n), on the context's stream.
template <class F>
void launch(Context& context, F f, size_t n, const char* what) {
  if (n == 0) return;
  const size_t wanted = (n + threads_per_block - 1) / threads_per_block;
  const size_t cap = size_t(multiprocessors(context)) * 32;
  const unsigned blocks = unsigned(wanted < cap ? wanted : cap);
  for_each_index<<<blocks, threads_per_block, 0, stream_of(context)>>>(f, n);
  check(cudaGetLastError(), what);
  count_launch();
}

// The block's sum of v, valid in thread 0 (a warp shuffle tree, then one warp over the warps).
__device__ inline double block_sum(double v) {
  __shared__ double warp_sums[threads_per_block / 32];
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = threadIdx.x < blockDim.x / 32 ? warp_sums[lane] : 0.0;
  if (warp == 0)
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  __syncthreads();  // warp_sums may be reused by the caller's next block_sum
  return v;
}

template <class F>
__global__ void sum_into(F f, size_t n, double* into) {
  double v = 0;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += size_t(blockDim.x) * gridDim.x)
    v += f(i);
  v = block_sum(v);
  if (threadIdx.x == 0) atomicAdd(into, v);
}

// *into += the sum of f(i) over [0, n): a slot of the step record, summed in double.
template <class F>
void reduce(Context& context, F f, size_t n, double* into, const char* what) {
  if (n == 0) return;
  const size_t wanted = (n + threads_per_block - 1) / threads_per_block;
  const size_t cap = size_t(multiprocessors(context)) * 4;
  const unsigned blocks = unsigned(wanted < cap ? wanted : cap);
  sum_into<<<blocks, threads_per_block, 0, stream_of(context)>>>(f, n, into);
  check(cudaGetLastError(), what);
  count_launch();
}

template <class A, class T>
void activation_forward(Context& context, const T* z, T* y, size_t n) {
  launch(context, ActivationForward<A, T>{z, y}, n, A::name);
}
template <class A, class T>
void activation_backward(Context& context, const T* z, const T* y, const T* dy, T* dz, size_t n) {
  launch(context, ActivationBackward<A, T>{z, y, dy, dz}, n, A::name);
}

template <class Loss, class T, class L>
void loss(Context& context, const T* y, const L* labels, T* grad, size_t width, size_t label_width,
          size_t n, size_t mean_over, double* into, const T* weights) {
  reduce(context,
         SampleLoss<Loss, T, L>{y, labels, grad, width, label_width, T(1) / T(mean_over), weights},
         n, into, Loss::name);
}

}  // namespace tensorguard::cuda

// Explicit instantiations of an activation's kernels for float and double.
#ifdef TG_CUDA_FLOAT_ONLY
#define TG_CUDA_ACTIVATION_DOUBLE(...)
#else
#define TG_CUDA_ACTIVATION_DOUBLE(...)                                                   \
  ;                                                                                      \
  template void tensorguard::cuda::activation_forward<__VA_ARGS__, double>(              \
      tensorguard::cuda::Context&, const double*, double*, std::size_t);                 \
  template void tensorguard::cuda::activation_backward<__VA_ARGS__, double>(             \
      tensorguard::cuda::Context&, const double*, const double*, const double*, double*, \
      std::size_t)
#endif
#define TG_CUDA_ACTIVATION(...)                                                                   \
  template void tensorguard::cuda::activation_forward<__VA_ARGS__, float>(                        \
      tensorguard::cuda::Context&, const float*, float*, std::size_t);                            \
  template void tensorguard::cuda::activation_backward<__VA_ARGS__, float>(                       \
      tensorguard::cuda::Context&, const float*, const float*, const float*, float*, std::size_t) \
      TG_CUDA_ACTIVATION_DOUBLE(__VA_ARGS__)

// A loss's kernel for element type T and label value type Label (std::int32_t for class
// indices, T for everything else).
#define TG_CUDA_LOSS_FOR(Loss, T, Label)                                                 \
  template void tensorguard::cuda::loss<Loss, T, Label>(                                 \
      tensorguard::cuda::Context&, const T*, const Label*, T*, std::size_t, std::size_t, \
      std::size_t, std::size_t, double*, const T*)
#define TG_CUDA_LOSS(Loss, T) TG_CUDA_LOSS_FOR(Loss, T, T)
