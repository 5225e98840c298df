// tg::Cuda: the same ops as Cpu on an NVIDIA GPU. Include this header and link the CMake target
// tensorguard::cuda (built when the CUDA toolkit is found: option TG_CUDA); the model file stays
// on the host compiler. Memory is the device's: DevicePtr, as the checked device's, so host code
// that would read it does not compile. docs/backends.md describes it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "cuda/ops.hpp"
#include "memory.hpp"

namespace tensorguard {

namespace cuda {

// CUDA device memory for DeviceArray (cudaMalloc, zeroed; counted by allocation_count()).
struct CudaHeap {
  static void* allocate(std::size_t bytes) { return cuda::allocate(bytes); }
  static void release(void* p) noexcept { cuda::release(p); }
  static void copy(void* dst, const void* src, std::size_t bytes) {
    copy_device_bytes(dst, src, bytes);
  }
};
template <class T>
using DeviceBuffer = DeviceArray<T, CudaHeap>;

// The address behind a device pointer (or a null one), for the compiled ops.
template <class P>
auto* address(P p) {
  if constexpr (std::is_same_v<P, std::nullptr_t>)
    return static_cast<double*>(nullptr);
  else
    return p.unsafe_address();
}

}  // namespace cuda

struct CudaMemory {
  static constexpr bool host_accessible = false;
  template <class T>
  using pointer = DevicePtr<T>;
  template <class T>
  using buffer = cuda::DeviceBuffer<T>;
};

class Cuda {
 public:
  using memory = CudaMemory;
  enum class Op { none, transpose };
  static constexpr const char* name = "Cuda";

  // Throws cuda::Error, saying why, when no GPU is usable (no driver, no device).
  Cuda()
      : context_(std::shared_ptr<cuda::Context>(cuda::make_context().release(),
                                                cuda::ContextDeleter{})) {}
  explicit Cuda(unsigned) : Cuda() {}
  // A copy is a backend of its own (stream, cuBLAS handle, graph), with the same settings.
  Cuda(const Cuda& other) : Cuda() {
    set_tf32(other.tf32());
    set_graphs(other.graphs());
  }
  Cuda& operator=(const Cuda& other) {
    if (this != &other) *this = Cuda(other);
    return *this;
  }
  Cuda(Cuda&&) noexcept = default;
  Cuda& operator=(Cuda&&) noexcept = default;

  // Runs `pass` (every op of one training pass) as a CUDA graph: eagerly until it runs once
  // without a device allocation before it, then captured, then replayed; after any device
  // allocation it starts over (the graph holds addresses). A few keys (batch sizes) keep a
  // graph each. A pass that cannot be captured runs eagerly.
  // The model calls it for steps of a network without random layers and unsampled guards.
  template <class Pass>
  void run_captured(std::size_t key, Pass&& pass) {
    switch (cuda::graph_step(*context_, key)) {
      case cuda::GraphStep::eager:
        pass();
        return;
      case cuda::GraphStep::replay:
        cuda::replay(*context_);
        return;
      case cuda::GraphStep::capture:
        break;
    }
    cuda::begin_capture(*context_);
    try {
      pass();
    } catch (const cuda::Error&) {
      cuda::abandon_capture(*context_);  // graphs off: the pass runs eagerly from now on
      pass();
      return;
    } catch (...) {
      cuda::abandon_capture(*context_);
      throw;
    }
    if (cuda::end_capture(*context_, key))
      cuda::replay(*context_);
    else
      pass();
  }
  // Drops the captured pass: the model calls it when a fit starts, so nothing that fit set up
  // (the record's layout, the data) is replayed from an earlier one.
  void forget_graph() { cuda::forget_graph(*context_); }
  // CUDA graphs for training steps (on by default).
  void set_graphs(bool enabled) { cuda::set_graphs(*context_, enabled); }
  bool graphs() const { return cuda::graphs(*context_); }
  std::size_t graph_replays() const { return cuda::graph_replays(*context_); }

  // TF32 tensor cores in GEMMs and convolutions: about 8x the FP32 rate on an H100, with a
  // 10-bit mantissa in the products. Off by default, so results match Cpu to FP32 rounding.
  void set_tf32(bool allowed) { cuda::set_tf32(*context_, allowed); }
  bool tf32() const { return cuda::tf32(*context_); }
  // Waits for every op queued so far (timing; downloads wait by themselves).
  void synchronize() { cuda::synchronize(*context_); }
  // Device allocations and queued kernels (cuBLAS calls and copies count one each) so far, and
  // the seconds one empty kernel takes: what a step's launch floor is measured with.
  static std::size_t allocations() { return cuda::allocation_count(); }
  static std::size_t launches() { return cuda::launch_count(); }
  double empty_launch_seconds(int launches = 10000) {
    return cuda::empty_launch_seconds(*context_, launches);
  }

  template <class T>
  void upload(const T* host, DevicePtr<T> device, std::size_t n) {
    if (n) cuda::upload_bytes(*context_, host, device.unsafe_address(), n * sizeof(T));
  }
  template <class T>
  void download(DevicePtr<const T> device, T* host, std::size_t n) {
    if (n) cuda::download_bytes(*context_, device.unsafe_address(), host, n * sizeof(T));
  }
  template <class T>
  void download(DevicePtr<T> device, T* host, std::size_t n) {
    download(DevicePtr<const T>(device), host, n);
  }
  // The device's free memory: what TG-DATA-MEMORY compares a batch against.
  std::size_t available_memory_bytes() const { return cuda::free_memory_bytes(*context_); }

  template <class PA, class PB, class C>
  void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k,
            typename C::element_type alpha, PA a, std::size_t lda, PB b, std::size_t ldb,
            typename C::element_type beta, C c, std::size_t ldc) {
    using T = typename C::element_type;
    cuda::gemm(*context_, op_a == Op::transpose, op_b == Op::transpose, m, n, k, alpha,
               static_cast<const T*>(cuda::address(a)), lda,
               static_cast<const T*>(cuda::address(b)), ldb, beta, cuda::address(c), ldc);
  }
  template <class P, class CP>
  void fill_columns(P y, CP bias, std::size_t rows, std::size_t cols) {
    cuda::fill_columns(*context_, cuda::address(y), cuda::address(bias), rows, cols);
  }
  template <class P, class CP>
  void add_bias(P y, CP bias, std::size_t rows, std::size_t cols) {
    cuda::add_bias(*context_, cuda::address(y), cuda::address(bias), rows, cols);
  }
  template <class CP, class P>
  void add_column_sums(CP dy, std::size_t rows, std::size_t cols, P db) {
    cuda::add_column_sums(*context_, cuda::address(dy), rows, cols, cuda::address(db));
  }

  template <class Act, class CP, class P>
  void activation_forward(CP z, P y, std::size_t n) {
    cuda::activation_forward<Act>(*context_, cuda::address(z), cuda::address(y), n);
  }
  template <class Act, class P>
  void activation_in_place(P y, std::size_t n) {
    using T = typename P::element_type;
    cuda::activation_forward<Act>(*context_, static_cast<const T*>(cuda::address(y)),
                                  cuda::address(y), n);
  }
  template <class Act, class CP1, class CP2, class CP3, class P>
  void activation_backward(CP1 z, CP2 y, CP3 dy, P dz, std::size_t n) {
    using T = typename P::element_type;
    cuda::activation_backward<Act>(*context_, static_cast<const T*>(cuda::address(z)),
                                   static_cast<const T*>(cuda::address(y)),
                                   static_cast<const T*>(cuda::address(dy)), cuda::address(dz), n);
  }
  template <class CP, class P>
  void softmax_forward(CP z, P y, std::size_t classes, std::size_t groups) {
    cuda::softmax_forward(*context_, cuda::address(z), cuda::address(y), classes, groups);
  }
  template <class CP1, class CP2, class P>
  void softmax_backward(CP1 y, CP2 dy, P dz, std::size_t classes, std::size_t groups) {
    using T = typename P::element_type;
    cuda::softmax_backward(*context_, static_cast<const T*>(cuda::address(y)),
                           static_cast<const T*>(cuda::address(dy)), cuda::address(dz), classes,
                           groups);
  }
  template <class CP, class P>
  void copy(CP src, P dst, std::size_t n) {
    using T = typename P::element_type;
    cuda::copy(*context_, static_cast<const T*>(cuda::address(src)), cuda::address(dst), n);
  }
  template <class P>
  void fill(P dst, typename P::element_type value, std::size_t n) {
    cuda::fill(*context_, cuda::address(dst), value, n);
  }
  template <class CP, class P>
  void accumulate(CP x, P y, std::size_t n) {
    using T = typename P::element_type;
    cuda::accumulate(*context_, static_cast<const T*>(cuda::address(x)), cuda::address(y), n);
  }
  template <class CP1, class CP2, class P>
  void add(CP1 x, CP2 y, P z, std::size_t n) {
    using T = typename P::element_type;
    cuda::add(*context_, static_cast<const T*>(cuda::address(x)),
              static_cast<const T*>(cuda::address(y)), cuda::address(z), n);
  }
  template <class CP1, class CP2, class P>
  void multiply(CP1 x, CP2 y, P z, std::size_t n) {
    using T = typename P::element_type;
    cuda::multiply(*context_, static_cast<const T*>(cuda::address(x)),
                   static_cast<const T*>(cuda::address(y)), cuda::address(z), n);
  }
  template <class CP, class P>
  void copy_blocks(CP src, std::size_t src_stride, P dst, std::size_t dst_stride, std::size_t block,
                   std::size_t count) {
    using T = typename P::element_type;
    cuda::copy_blocks(*context_, static_cast<const T*>(cuda::address(src)), src_stride,
                      cuda::address(dst), dst_stride, block, count);
  }

  // Rows of a dataset kept on the device into a batch: dst row r = src row rows[r].
  template <class CP, class CPI, class P>
  void gather_rows(CP src, CPI rows, P dst, std::size_t width, std::size_t count) {
    using T = typename P::element_type;
    cuda::gather_rows(*context_, static_cast<const T*>(cuda::address(src)),
                      static_cast<const std::uint32_t*>(cuda::address(rows)), cuda::address(dst),
                      width, count);
  }

  template <class Loss, class CP, class L, class P>
  void loss(CP y, L labels, P grad, std::size_t width, std::size_t label_width, std::size_t n,
            std::size_t mean_over, DevicePtr<double> into, CP weights = {}) {
    using T = std::remove_const_t<typename CP::element_type>;
    using Label = std::remove_const_t<typename L::element_type>;
    cuda::loss<Loss>(*context_, static_cast<const T*>(cuda::address(y)),
                     static_cast<const Label*>(cuda::address(labels)),
                     static_cast<T*>(cuda::address(grad)), width, label_width, n, mean_over,
                     into.unsafe_address(), static_cast<const T*>(cuda::address(weights)));
  }
  template <class Labels, class CP, class L>
  void count_correct(CP y, L labels, std::size_t width, std::size_t n,
                     std::remove_const_t<typename CP::element_type> threshold,
                     DevicePtr<double> into) {
    using T = std::remove_const_t<typename CP::element_type>;
    using Label = std::remove_const_t<typename L::element_type>;
    cuda::count_correct(*context_, Labels::kind, static_cast<const T*>(cuda::address(y)),
                        static_cast<const Label*>(cuda::address(labels)), width, Labels::width, n,
                        threshold, into.unsafe_address());
  }
  template <class CP>
  void sum_squares(CP x, std::size_t n, DevicePtr<double> into) {
    cuda::sum_squares(*context_, cuda::address(x), n, into.unsafe_address());
  }
  template <class CP1, class CP2>
  void sum_squared_difference(CP1 a, CP2 b, std::size_t n, DevicePtr<double> into) {
    using T = std::remove_const_t<typename CP1::element_type>;
    cuda::sum_squared_difference(*context_, static_cast<const T*>(cuda::address(a)),
                                 static_cast<const T*>(cuda::address(b)), n, into.unsafe_address());
  }
  template <class CP>
  void mark_active(CP y, std::size_t count, std::size_t last, DevicePtr<double> flags) {
    cuda::mark_active(*context_, cuda::address(y), count, last, flags.unsafe_address());
  }
  template <class CP>
  void count_outside(CP y, std::size_t n, std::remove_const_t<typename CP::element_type> lo,
                     std::remove_const_t<typename CP::element_type> hi, DevicePtr<double> into) {
    cuda::count_outside(*context_, cuda::address(y), n, lo, hi, into.unsafe_address());
  }

  template <class CP, class P, class CPG>
  void batchnorm_forward_training(CP x, P y, P x_hat, P inv_std, CPG gamma, CPG beta,
                                  P running_mean, P running_var, std::size_t channels,
                                  std::size_t rows, typename P::element_type momentum,
                                  typename P::element_type epsilon) {
    using T = typename P::element_type;
    cuda::batchnorm_forward_training(
        *context_, static_cast<const T*>(cuda::address(x)), cuda::address(y), cuda::address(x_hat),
        cuda::address(inv_std), static_cast<const T*>(cuda::address(gamma)),
        static_cast<const T*>(cuda::address(beta)), cuda::address(running_mean),
        cuda::address(running_var), channels, rows, momentum, epsilon);
  }
  template <class CP, class P, class CP2>
  void batchnorm_forward_inference(CP x, P y, CP2 gamma, CP2 beta, CP2 running_mean,
                                   CP2 running_var, std::size_t channels, std::size_t rows,
                                   typename P::element_type epsilon) {
    using T = typename P::element_type;
    cuda::batchnorm_forward_inference(
        *context_, static_cast<const T*>(cuda::address(x)), cuda::address(y),
        static_cast<const T*>(cuda::address(gamma)), static_cast<const T*>(cuda::address(beta)),
        static_cast<const T*>(cuda::address(running_mean)),
        static_cast<const T*>(cuda::address(running_var)), channels, rows, epsilon);
  }
  template <class CP1, class CP2, class CP3, class CP4, class P, class PG>
  void batchnorm_backward(CP1 dy, CP2 x_hat, CP3 inv_std, CP4 gamma, P dx, PG dgamma, PG dbeta,
                          std::size_t channels, std::size_t rows) {
    using T = typename PG::element_type;
    cuda::batchnorm_backward(
        *context_, static_cast<const T*>(cuda::address(dy)),
        static_cast<const T*>(cuda::address(x_hat)), static_cast<const T*>(cuda::address(inv_std)),
        static_cast<const T*>(cuda::address(gamma)), static_cast<T*>(cuda::address(dx)),
        cuda::address(dgamma), cuda::address(dbeta), channels, rows);
  }
  template <class CP, class P>
  void dropout_forward(CP x, P y, P mask, std::size_t n, double rate, std::uint64_t seed,
                       std::uint64_t offset) {
    using T = typename P::element_type;
    cuda::dropout_forward(*context_, static_cast<const T*>(cuda::address(x)), cuda::address(y),
                          cuda::address(mask), n, rate, seed, offset);
  }

  template <class P, class CP>
  void sgd(P p, CP g, P velocity, std::size_t n, typename P::element_type lr,
           typename P::element_type momentum, bool nesterov) {
    using T = typename P::element_type;
    cuda::sgd(*context_, cuda::address(p), static_cast<const T*>(cuda::address(g)),
              cuda::address(velocity), n, lr, momentum, nesterov);
  }
  template <class P, class CP>
  void adam(P p, CP g, P m, P v, std::size_t n, typename P::element_type lr,
            typename P::element_type beta1, typename P::element_type beta2,
            typename P::element_type epsilon, long step, typename P::element_type weight_decay) {
    using T = typename P::element_type;
    cuda::adam(*context_, cuda::address(p), static_cast<const T*>(cuda::address(g)),
               cuda::address(m), cuda::address(v), n, lr, beta1, beta2, epsilon, step,
               weight_decay);
  }
  template <class P, class CP>
  void rmsprop(P p, CP g, P v, P mom, std::size_t n, typename P::element_type lr,
               typename P::element_type rho, typename P::element_type momentum,
               typename P::element_type epsilon) {
    using T = typename P::element_type;
    cuda::rmsprop(*context_, cuda::address(p), static_cast<const T*>(cuda::address(g)),
                  cuda::address(v), cuda::address(mom), n, lr, rho, momentum, epsilon);
  }

  template <class CP, class P>
  void im2col(const WindowGeometry& g, CP x, P cols, std::size_t n) {
    using T = typename P::element_type;
    cuda::im2col(*context_, g, static_cast<const T*>(cuda::address(x)), cuda::address(cols), n);
  }
  template <class CP, class P>
  void col2im(const WindowGeometry& g, CP cols, P dx, std::size_t n) {
    using T = typename P::element_type;
    cuda::col2im(*context_, g, static_cast<const T*>(cuda::address(cols)), cuda::address(dx), n);
  }
  template <class CP, class P, class PA>
  void max_pool_forward(const WindowGeometry& g, CP x, P y, PA argmax, std::size_t n) {
    using T = typename P::element_type;
    cuda::max_pool_forward(*context_, g, static_cast<const T*>(cuda::address(x)), cuda::address(y),
                           cuda::address(argmax), n);
  }
  template <class CP, class CPA, class P>
  void max_pool_backward(const WindowGeometry& g, CP dy, CPA argmax, P dx, std::size_t n) {
    using T = typename P::element_type;
    cuda::max_pool_backward(*context_, g, static_cast<const T*>(cuda::address(dy)),
                            static_cast<const std::uint32_t*>(cuda::address(argmax)),
                            cuda::address(dx), n);
  }
  template <class CP, class P>
  void avg_pool_forward(const WindowGeometry& g, CP x, P y, std::size_t n) {
    using T = typename P::element_type;
    cuda::avg_pool_forward(*context_, g, static_cast<const T*>(cuda::address(x)), cuda::address(y),
                           n);
  }
  template <class CP, class P>
  void avg_pool_backward(const WindowGeometry& g, CP dy, P dx, std::size_t n) {
    using T = typename P::element_type;
    cuda::avg_pool_backward(*context_, g, static_cast<const T*>(cuda::address(dy)),
                            cuda::address(dx), n);
  }
  template <class CP, class P>
  void global_avg_pool_forward(CP x, P y, std::size_t pixels, std::size_t channels, std::size_t n) {
    using T = typename P::element_type;
    cuda::global_avg_pool_forward(*context_, static_cast<const T*>(cuda::address(x)),
                                  cuda::address(y), pixels, channels, n);
  }
  template <class CP, class P>
  void global_avg_pool_backward(CP dy, P dx, std::size_t pixels, std::size_t channels,
                                std::size_t n) {
    using T = typename P::element_type;
    cuda::global_avg_pool_backward(*context_, static_cast<const T*>(cuda::address(dy)),
                                   cuda::address(dx), pixels, channels, n);
  }

 private:
  std::shared_ptr<cuda::Context> context_;
};

}  // namespace tensorguard
