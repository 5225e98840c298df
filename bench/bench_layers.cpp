// Forward and backward of each layer of the Fashion-MNIST MLP and CNN, alone, at batch
// 32/64/128, with items/s and GFLOP/s (from each layer's constexpr FLOP count; backward counted
// as twice the forward, once for a layer with no parameters before it, which computes no input
// gradient, as in training).
// Written against the backend seam: each backend is one more registration in main.
// Run: build-bench/bench/bench_layers --benchmark_repetitions=5
//      --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <iterator>
#include <string>
#include <tensorguard/tensorguard.hpp>
#ifdef TG_BENCH_CUDA
#include <tensorguard/backend/cuda.hpp>
#endif
#include <type_traits>
#include <utility>
#include <vector>

#include "family.hpp"
#include "models.hpp"

namespace tg = tensorguard;

namespace {
using bench::Cnn;
using bench::Mlp;

// One layer with its parameters, inputs and output gradients, as a model would hold them, in
// the backend's memory. A device backend is waited for after each call (finish()), so a GPU's
// times are whole calls, launch included.
template <class L, class Backend>
struct LayerBench {
  using Memory = typename Backend::memory;
  using Buf = typename Memory::template buffer<float>;
  L layer;
  Backend backend;
  Buf params, grads, state, x, y, dy, dx;
  std::size_t batch;

  explicit LayerBench(std::size_t n)
      : params(L::parameter_count + 1),
        grads(L::parameter_count + 1),
        state(L::state_count + 1),
        x(n * L::input_shape::size),
        y(n * L::output_shape::size),
        dy(n * L::output_shape::size),
        dx(n * L::input_shape::size),
        batch(n) {
    if constexpr (requires { backend.set_threads(1u); }) backend.set_threads(1);
    tg::ParameterSlots<tg::Tensors<Memory, float>> slots{params.data(), grads.data(), state.data()};
    layer.attach(slots);
    tg::Rng rng(1);
    std::vector<float> initial_params(L::parameter_count + 1), initial_state(L::state_count + 1);
    tg::InitialValues<float> initial{initial_params.data(), nullptr, initial_state.data()};
    layer.initialize(initial, rng);
    backend.upload(initial_params.data(), params.data(), initial_params.size());
    backend.upload(initial_state.data(), state.data(), initial_state.size());
    layer.reserve(n);
    std::vector<float> host_x(x.size()), host_dy(dy.size());
    for (auto& v : host_x) v = float(rng.uniform(-1, 1));
    for (auto& v : host_dy) v = float(rng.uniform(-1, 1)) / float(n);
    backend.upload(host_x.data(), x.data(), host_x.size());
    backend.upload(host_dy.data(), dy.data(), host_dy.size());
  }
  void forward() { layer.forward(backend, x.data(), y.data(), batch, tg::Mode::training); }
  void backward(bool input_gradient) {
    layer.backward(backend, x.data(), y.data(), dy.data(),
                   input_gradient ? dx.data() : typename Memory::template pointer<float>{}, batch);
  }
  void finish() {
    if constexpr (requires { backend.synchronize(); }) backend.synchronize();
  }
};

template <class L, class Backend>
void forward(benchmark::State& state) {
  LayerBench<L, Backend> b(std::size_t(state.range(0)));
  for (auto _ : state) {
    b.forward();
    b.finish();
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * state.range(0));
  state.counters["GFLOP/s"] =
      benchmark::Counter(L::flops_per_sample * double(state.range(0)) * 1e-9,
                         benchmark::Counter::kIsIterationInvariantRate);
}

template <class L, class Backend, bool InputGradient>
void backward(benchmark::State& state) {
  LayerBench<L, Backend> b(std::size_t(state.range(0)));
  b.forward();
  for (auto _ : state) {
    b.backward(InputGradient);
    b.finish();
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * state.range(0));
  state.counters["GFLOP/s"] = benchmark::Counter(
      (InputGradient ? 2.0 : 1.0) * L::flops_per_sample * double(state.range(0)) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate);
}

// Registers forward and backward for every layer of Net that does work (Flatten passes its
// input's memory on inside a model, so it has none).
template <class Net, class Backend>
void register_layers(const std::string& model, std::vector<std::int64_t> batches = {32, 64, 128}) {
  using Body = typename Net::template body_on<typename Backend::memory>;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          using L = std::remove_reference_t<decltype(std::declval<Body&>().template layer<I>())>;
          if constexpr (!requires { L::aliases_input; }) {
            const std::string name = std::string(Backend::name) + "/" + model + "/layer " +
                                     std::to_string(I + 2) + " " + L::kind();
            // As in training: an input gradient only where parameters below need it.
            constexpr bool input_gradient = Body::template parameters_before < I >> 0;
            auto* f =
                benchmark::RegisterBenchmark((name + "/forward").c_str(), forward<L, Backend>);
            auto* b = benchmark::RegisterBenchmark((name + "/backward").c_str(),
                                                   backward<L, Backend, input_gradient>);
            for (auto n : batches) f->Arg(n), b->Arg(n);
            f->Unit(benchmark::kMicrosecond);
            b->Unit(benchmark::kMicrosecond);
          }
        }(),
        ...);
  }
  (std::make_index_sequence<Body::layer_count>{});
}
// The machine's ceilings for the roofline note (docs/performance.md): a large square SGEMM
// through the backend (its Eigen path) and straight through Eigen, and streaming bandwidth.
void square_gemm(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
  tg::Cpu backend(1);
  for (auto _ : state) {
    backend.gemm(tg::Cpu::Op::none, tg::Cpu::Op::none, n, n, n, 1.0f, a.data(), n, b.data(), n,
                 0.0f, c.data(), n);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(n * n * n) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
// The products of the family's layers (batch 64 in micro-batches of 8 or 16 images), through
// the backend (its kernel for these shapes) and straight through Eigen's GEMM.
struct GemmShape {
  const char* name;
  std::size_t m, n, k;
  bool transpose_a, transpose_b;
};
constexpr GemmShape gemm_shapes[] = {
    {"conv 16x16 28x28 forward", 16, 8 * 784, 144, false, false},
    {"conv 16x16 28x28 weights", 16, 144, 8 * 784, false, true},
    {"conv 16x16 28x28 input", 144, 8 * 784, 16, true, false},
    {"conv 32x32 14x14 forward", 32, 16 * 196, 288, false, false},
    {"conv 32x32 14x14 weights", 32, 288, 16 * 196, false, true},
    {"conv 32x32 14x14 input", 288, 16 * 196, 32, true, false},
    {"dense 784x256 forward", 256, 64, 784, false, false},
};
template <bool Backend>
void shape_gemm(benchmark::State& state) {
  const GemmShape& s = gemm_shapes[state.range(0)];
  std::vector<float> a(s.m * s.k, 0.5f), b(s.k * s.n, 0.25f), c(s.m * s.n);
  const std::size_t lda = s.transpose_a ? s.k : s.m, ldb = s.transpose_b ? s.n : s.k;
  tg::Cpu backend(1);
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
  using Map = Eigen::Map<const Matrix>;
  Eigen::Map<Matrix> C(c.data(), Eigen::Index(s.m), Eigen::Index(s.n));
  const Map A(a.data(), Eigen::Index(lda), Eigen::Index(s.transpose_a ? s.m : s.k));
  const Map B(b.data(), Eigen::Index(ldb), Eigen::Index(s.transpose_b ? s.k : s.n));
  for (auto _ : state) {
    if constexpr (Backend)
      backend.gemm(s.transpose_a ? tg::Cpu::Op::transpose : tg::Cpu::Op::none,
                   s.transpose_b ? tg::Cpu::Op::transpose : tg::Cpu::Op::none, s.m, s.n, s.k, 1.0f,
                   a.data(), lda, b.data(), ldb, 0.0f, c.data(), s.m);
    else if (s.transpose_a)
      C.noalias() = A.transpose() * B;
    else if (s.transpose_b)
      C.noalias() = A * B.transpose();
    else
      C.noalias() = A * B;
    benchmark::ClobberMemory();
  }
  state.SetLabel(s.name);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(s.m * s.n * s.k) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
void stream_triad(benchmark::State& state) {  // a[i] = b[i] + s * c[i] over 3 x 64 MiB
  const std::size_t n = std::size_t(16) << 20;
  std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + 3.0f * c[i];
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = benchmark::Counter(3.0 * double(n) * sizeof(float) * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}
}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("Cpu/GEMM square", square_gemm)
      ->Arg(1024)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("Cpu/memory triad", stream_triad)->Unit(benchmark::kMillisecond);
  for (std::int64_t i = 0; i < std::int64_t(std::size(gemm_shapes)); ++i) {
    benchmark::RegisterBenchmark("Cpu/GEMM shape", shape_gemm<true>)->Arg(i);
    benchmark::RegisterBenchmark("Eigen/GEMM shape", shape_gemm<false>)->Arg(i);
  }
  register_layers<Mlp, tg::Cpu>("MLP");
  register_layers<Cnn, tg::Cpu>("CNN");
  // The family's layers (bench/family.hpp) at the batch it trains with.
  register_layers<bench::family::Vgg, tg::Cpu>("VGG", {64});
  register_layers<bench::family::BnCnn, tg::Cpu>("BN CNN", {64});
  register_layers<bench::family::ResCnn, tg::Cpu>("Residual", {64});
#ifdef TG_BENCH_CUDA
  if (tg::cuda::device_problem().empty()) {  // a GPU is here
    register_layers<Mlp, tg::Cuda>("MLP");
    register_layers<Cnn, tg::Cuda>("CNN");
  }
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
