// The CUDA backend's compiled side, declared without a CUDA type: user code includes this through
// backend/cuda.hpp and stays on the host compiler; the definitions are in src/cuda/*.cu, built
// into the tensorguard::cuda library with explicit instantiations for float and double and the
// built-in activations and losses (a custom one: backend/cuda/kernels.cuh).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "../../data/labels.hpp"
#include "../geometry.hpp"

namespace tensorguard::cuda {

using std::size_t;

// A CUDA failure (no device, out of memory, a kernel fault), with the call and the driver's words.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One device, one stream, one cuBLAS handle, and the scratch its ops keep between calls.
struct Context;
struct ContextDeleter {
  void operator()(Context* c) const;
};
using ContextHandle = std::unique_ptr<Context, ContextDeleter>;
ContextHandle make_context();  // throws Error when no device is usable

// Device memory, zeroed on allocation (as the checked device's). Counted: a training step after
// the first must not allocate (tests/gpu checks allocation_count()).
void* allocate(size_t bytes);
void release(void* p) noexcept;
size_t allocation_count();
void copy_device_bytes(void* dst, const void* src, size_t bytes);  // synchronous
// A usable device, or the reason there is none ("" when there is one).
std::string device_problem();
std::string device_name();

void upload_bytes(Context&, const void* host, void* device, size_t bytes);
void download_bytes(Context&, const void* device, void* host, size_t bytes);  // waits
void synchronize(Context&);
size_t free_memory_bytes(Context&);
void set_tf32(Context&, bool allowed);
// CUDA graphs of a repeated pass (Cuda::run_captured). graph_step says what to do for `key`:
// run it eagerly (the first time, or after any device allocation), capture it, or replay it.
enum class GraphStep { eager, capture, replay };
GraphStep graph_step(Context&, size_t key);
void begin_capture(Context&);
bool end_capture(Context&, size_t key);  // false: the capture failed, run the pass eagerly
void abandon_capture(Context&);
void replay(Context&);
void forget_graph(Context&);
void set_graphs(Context&, bool enabled);
bool graphs(const Context&);
size_t graph_replays(const Context&);
// Kernels and library calls queued so far (all contexts), and the time one empty kernel takes
// to launch and finish: a step's launch floor is their product (bench/cuda_epoch.cpp).
size_t launch_count();
double empty_launch_seconds(Context&, int launches);
bool tf32(const Context&);

// BLAS
template <class T>
void gemm(Context&, bool transpose_a, bool transpose_b, size_t m, size_t n, size_t k, T alpha,
          const T* a, size_t lda, const T* b, size_t ldb, T beta, T* c, size_t ldc);
template <class T>
void fill_columns(Context&, T* y, const T* bias, size_t rows, size_t cols);
template <class T>
void add_bias(Context&, T* y, const T* bias, size_t rows, size_t cols);
template <class T>
void add_column_sums(Context&, const T* dy, size_t rows, size_t cols, T* db);

// Elementwise
template <class A, class T>
void activation_forward(Context&, const T* z, T* y, size_t n);
template <class A, class T>
void activation_backward(Context&, const T* z, const T* y, const T* dy, T* dz, size_t n);
template <class T>
void softmax_forward(Context&, const T* z, T* y, size_t classes, size_t groups);
template <class T>
void softmax_backward(Context&, const T* y, const T* dy, T* dz, size_t classes, size_t groups);
template <class T>
void copy(Context&, const T* src, T* dst, size_t n);
template <class T>
void fill(Context&, T* dst, T value, size_t n);
template <class T>
void accumulate(Context&, const T* x, T* y, size_t n);
template <class T>
void add(Context&, const T* x, const T* y, T* z, size_t n);
template <class T>
void multiply(Context&, const T* x, const T* y, T* z, size_t n);
template <class T>
void copy_blocks(Context&, const T* src, size_t src_stride, T* dst, size_t dst_stride, size_t block,
                 size_t count);

template <class T>
void gather_rows(Context&, const T* src, const std::uint32_t* rows, T* dst, size_t width,
                 size_t count);

// Windows
template <class T>
void im2col(Context&, const WindowGeometry& g, const T* x, T* cols, size_t n);
template <class T>
void col2im(Context&, const WindowGeometry& g, const T* cols, T* dx, size_t n);
template <class T>
void max_pool_forward(Context&, const WindowGeometry& g, const T* x, T* y, std::uint32_t* argmax,
                      size_t n);
template <class T>
void max_pool_backward(Context&, const WindowGeometry& g, const T* dy, const std::uint32_t* argmax,
                       T* dx, size_t n);
template <class T>
void avg_pool_forward(Context&, const WindowGeometry& g, const T* x, T* y, size_t n);
template <class T>
void avg_pool_backward(Context&, const WindowGeometry& g, const T* dy, T* dx, size_t n);
template <class T>
void global_avg_pool_forward(Context&, const T* x, T* y, size_t pixels, size_t channels, size_t n);
template <class T>
void global_avg_pool_backward(Context&, const T* dy, T* dx, size_t pixels, size_t channels,
                              size_t n);

// Normalisation and dropout
template <class T>
void batchnorm_forward_training(Context&, const T* x, T* y, T* x_hat, T* inv_std, const T* gamma,
                                const T* beta, T* running_mean, T* running_var, size_t channels,
                                size_t rows, T momentum, T epsilon);
template <class T>
void batchnorm_forward_inference(Context&, const T* x, T* y, const T* gamma, const T* beta,
                                 const T* running_mean, const T* running_var, size_t channels,
                                 size_t rows, T epsilon);
template <class T>
void batchnorm_backward(Context&, const T* dy, const T* x_hat, const T* inv_std, const T* gamma,
                        T* dx, T* dgamma, T* dbeta, size_t channels, size_t rows);
template <class T>
void dropout_forward(Context&, const T* x, T* y, T* mask, size_t n, double rate, std::uint64_t seed,
                     std::uint64_t offset);

// Updates over the flat parameter array: one kernel for every tensor of the model.
template <class T>
void sgd(Context&, T* p, const T* g, T* velocity, size_t n, T lr, T momentum, bool nesterov);
template <class T>
void adam(Context&, T* p, const T* g, T* m, T* v, size_t n, T lr, T beta1, T beta2, T epsilon,
          long step, T weight_decay);
template <class T>
void rmsprop(Context&, T* p, const T* g, T* v, T* mom, size_t n, T lr, T rho, T momentum,
             T epsilon);

// Losses and the guards' reductions, each added to a double slot of the step record.
template <class Loss, class T, class L>
void loss(Context&, const T* y, const L* labels, T* grad, size_t width, size_t label_width,
          size_t n, size_t mean_over, double* into, const T* weights);
template <class T, class L>
void count_correct(Context&, LabelKind kind, const T* y, const L* labels, size_t width,
                   size_t label_width, size_t n, T threshold, double* into);
template <class T>
void sum_squares(Context&, const T* x, size_t n, double* into);
template <class T>
void sum_squared_difference(Context&, const T* a, const T* b, size_t n, double* into);
template <class T>
void mark_active(Context&, const T* y, size_t count, size_t last, double* flags);
template <class T>
void count_outside(Context&, const T* y, size_t n, T lo, T hi, double* into);

}  // namespace tensorguard::cuda
