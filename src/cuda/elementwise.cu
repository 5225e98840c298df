// Elementwise ops, softmax, dropout and the optimizer updates of the CUDA backend.
#include <cmath>
#include <ratio>
#include <tensorguard/activations/elu.hpp>
#include <tensorguard/activations/gelu.hpp>
#include <tensorguard/activations/leaky_relu.hpp>
#include <tensorguard/activations/linear.hpp>
#include <tensorguard/activations/relu.hpp>
#include <tensorguard/activations/sigmoid.hpp>
#include <tensorguard/activations/tanh.hpp>

#include "context.cuh"

namespace tensorguard::cuda {

template <class T>
void softmax_forward(Context& c, const T* z, T* y, size_t classes, size_t groups) {
  launch(c, SoftmaxForward<T>{z, y, classes}, groups, "softmax_forward");
}
template <class T>
void softmax_backward(Context& c, const T* y, const T* dy, T* dz, size_t classes, size_t groups) {
  launch(c, SoftmaxBackward<T>{y, dy, dz, classes}, groups, "softmax_backward");
}
template <class T>
void copy(Context& c, const T* src, T* dst, size_t n) {
  if (n == 0 || src == dst) return;
  check(cudaMemcpyAsync(dst, src, n * sizeof(T), cudaMemcpyDeviceToDevice, c.stream), "copy");
  count_launch();
}
template <class T>
void fill(Context& c, T* dst, T value, size_t n) {
  if (n && value == T(0) && !std::signbit(value)) {
    check(cudaMemsetAsync(dst, 0, n * sizeof(T), c.stream), "fill");
    count_launch();
  } else
    launch(c, Fill<T>{dst, value}, n, "fill");
}
template <class T>
void accumulate(Context& c, const T* x, T* y, size_t n) {
  launch(c, Accumulate<T>{x, y}, n, "accumulate");
}
template <class T>
void add(Context& c, const T* x, const T* y, T* z, size_t n) {
  launch(c, Add<T>{x, y, z}, n, "add");
}
template <class T>
void multiply(Context& c, const T* x, const T* y, T* z, size_t n) {
  launch(c, Multiply<T>{x, y, z}, n, "multiply");
}
template <class T>
void copy_blocks(Context& c, const T* src, size_t src_stride, T* dst, size_t dst_stride,
                 size_t block, size_t count) {
  if (block == 0 || count == 0) return;
  check(cudaMemcpy2DAsync(dst, dst_stride * sizeof(T), src, src_stride * sizeof(T),
                          block * sizeof(T), count, cudaMemcpyDeviceToDevice, c.stream),
        "copy_blocks");
  count_launch();
}
template <class T>
void gather_rows(Context& c, const T* src, const std::uint32_t* rows, T* dst, size_t width,
                 size_t count) {
  launch(c, GatherRows<T>{src, rows, dst, width}, width * count, "gather_rows");
}
template void gather_rows<std::int32_t>(Context&, const std::int32_t*, const std::uint32_t*,
                                        std::int32_t*, size_t, size_t);
template <class T>
void dropout_forward(Context& c, const T* x, T* y, T* mask, size_t n, double rate,
                     std::uint64_t seed, std::uint64_t offset) {
  launch(c, Dropout<T>{x, y, mask, seed, offset, dropout_keep_from(rate), T(1.0 / (1.0 - rate))}, n,
         "dropout_forward");
}

template <class T>
void sgd(Context& c, T* p, const T* g, T* velocity, size_t n, T lr, T momentum, bool nesterov) {
  launch(c, SgdStep<T>{p, g, velocity, lr, momentum, nesterov}, n, "sgd");
}
// The step's scalars as the CPU computes them, so both backends take the same step.
template <class T>
void adam(Context& c, T* p, const T* g, T* m, T* v, size_t n, T lr, T beta1, T beta2, T epsilon,
          long step, T weight_decay) {
  const T correction1 = T(1) - T(std::pow(double(beta1), double(step)));
  const T correction2 = T(1) - T(std::pow(double(beta2), double(step)));
  launch(c,
         AdamStep<T>{p, g, m, v, beta1, beta2, epsilon, lr / correction1,
                     T(1) / std::sqrt(correction2), T(1) - lr * weight_decay},
         n, "adam");
}
template <class T>
void rmsprop(Context& c, T* p, const T* g, T* v, T* mom, size_t n, T lr, T rho, T momentum,
             T epsilon) {
  launch(c, RmspropStep<T>{p, g, v, mom, lr, rho, momentum, epsilon}, n, "rmsprop");
}

#define TG_INSTANTIATE(T)                                                                     \
  template void softmax_forward<T>(Context&, const T*, T*, size_t, size_t);                   \
  template void softmax_backward<T>(Context&, const T*, const T*, T*, size_t, size_t);        \
  template void copy<T>(Context&, const T*, T*, size_t);                                      \
  template void fill<T>(Context&, T*, T, size_t);                                             \
  template void accumulate<T>(Context&, const T*, T*, size_t);                                \
  template void add<T>(Context&, const T*, const T*, T*, size_t);                             \
  template void multiply<T>(Context&, const T*, const T*, T*, size_t);                        \
  template void copy_blocks<T>(Context&, const T*, size_t, T*, size_t, size_t, size_t);       \
  template void gather_rows<T>(Context&, const T*, const std::uint32_t*, T*, size_t, size_t); \
  template void dropout_forward<T>(Context&, const T*, T*, T*, size_t, double, std::uint64_t, \
                                   std::uint64_t);                                            \
  template void sgd<T>(Context&, T*, const T*, T*, size_t, T, T, bool);                       \
  template void adam<T>(Context&, T*, const T*, T*, T*, size_t, T, T, T, T, long, T);         \
  template void rmsprop<T>(Context&, T*, const T*, T*, T*, size_t, T, T, T, T);
TG_INSTANTIATE(float)
#ifndef TG_CUDA_FLOAT_ONLY
TG_INSTANTIATE(double)
#endif
#undef TG_INSTANTIATE

}  // namespace tensorguard::cuda

// The built-in activations (Softmax has its own ops above). Other LeakyReLU or ELU slopes, or
// an activation of your own: TG_CUDA_ACTIVATION in a .cu of yours (backend/cuda/kernels.cuh).
TG_CUDA_ACTIVATION(tensorguard::Linear);
TG_CUDA_ACTIVATION(tensorguard::ReLU);
TG_CUDA_ACTIVATION(tensorguard::Sigmoid);
TG_CUDA_ACTIVATION(tensorguard::Tanh);
TG_CUDA_ACTIVATION(tensorguard::GELU);
TG_CUDA_ACTIVATION(tensorguard::LeakyReLU<>);
TG_CUDA_ACTIVATION(tensorguard::LeakyReLU<std::ratio<1, 10>>);
TG_CUDA_ACTIVATION(tensorguard::LeakyReLU<std::ratio<1, 5>>);
TG_CUDA_ACTIVATION(tensorguard::LeakyReLU<std::ratio<3, 10>>);
TG_CUDA_ACTIVATION(tensorguard::ELU<>);
