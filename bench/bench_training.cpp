// Whole training steps and predict for the MLP and the CNN of the Fashion-MNIST examples, at
// batch 32/64/128 (predict also 256), on one and two threads, with items/s and GFLOP/s
// (training counted as 3x the forward FLOPs, predict as 1x); whole epochs with the guards off
// and on; the micro-batch working-set sweep.
// Run (docs/performance.md):
//   cmake -S . -B build-bench -DTG_BUILD_BENCH=ON && cmake --build build-bench -j2
//   build-bench/bench/bench_training --benchmark_repetitions=5
//     --benchmark_report_aggregates_only=true --benchmark_enable_random_interleaving=true
#include <benchmark/benchmark.h>

#include <map>
#include <tensorguard/tensorguard.hpp>
#ifdef TG_BENCH_CUDA
#include <tensorguard/backend/cuda.hpp>
#endif

#include "family.hpp"
#include "models.hpp"

namespace tg = tensorguard;

namespace {
using bench::Cnn;
using bench::Mlp;
using Data = tg::Dataset<tg::Shape<28, 28, 1>, tg::ClassIndex<10>>;

const Data& synthetic(std::size_t n) {
  static std::map<std::size_t, Data> cache;
  if (auto it = cache.find(n); it != cache.end()) return it->second;
  return cache[n] = [n] {
    Data out;
    tg::Rng rng(1);
    std::vector<float> img(784);
    for (std::size_t i = 0; i < n; ++i) {
      for (auto& v : img) v = float(rng.uniform());
      const auto k = std::int32_t(rng.below(10));
      out.push_back(img, std::span<const std::int32_t>(&k, 1));
    }
    return out;
  }();
}

template <class Net, class Backend = tg::Cpu>
void train_step(benchmark::State& state) {
  const auto batch = std::size_t(state.range(0));
  const auto& data = synthetic(1024).first(batch);
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy, Backend> model;
  const tg::FitOptions<Data> once{
      .epochs = 1, .batch_size = batch, .shuffle = false, .verbose = tg::Verbosity::silent};
  model.fit(data, once);
  for (auto _ : state) model.fit(data, once);  // one step per iteration
  state.SetItemsProcessed(std::int64_t(state.iterations() * batch));
  state.counters["GFLOP/s"] = benchmark::Counter(3.0 * Net::flops_per_sample * double(batch) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

// One training step on 1 or 2 threads (the first argument) at a batch size (the second).
template <class Net>
void train_step_threads(benchmark::State& state) {
  const auto batch = std::size_t(state.range(1));
  const auto& data = synthetic(1024).first(batch);
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  model.backend().set_threads(unsigned(state.range(0)));
  tg::GuardPolicy off = tg::GuardPolicy::all(tg::GuardLevel::off);
  const tg::FitOptions<Data> once{.epochs = 1,
                                  .batch_size = batch,
                                  .shuffle = false,
                                  .verbose = tg::Verbosity::silent,
                                  .guards = off};
  model.fit(data, once);
  for (auto _ : state) model.fit(data, once);
  state.SetItemsProcessed(std::int64_t(state.iterations() * batch));
}

// One CNN training step at batch 64 with the micro-batch working set (the argument, in KiB):
// the measurement behind Cpu's default working_set_bytes.
template <class Net>
void train_step_working_set(benchmark::State& state) {
  const std::size_t batch = 64;
  const auto& data = synthetic(1024).first(batch);
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  model.backend().set_working_set_bytes(std::size_t(state.range(0)) << 10);
  const tg::FitOptions<Data> once{.epochs = 1,
                                  .batch_size = batch,
                                  .shuffle = false,
                                  .verbose = tg::Verbosity::silent,
                                  .guards = tg::GuardPolicy::all(tg::GuardLevel::off)};
  model.fit(data, once);
  for (auto _ : state) model.fit(data, once);
  state.SetItemsProcessed(std::int64_t(state.iterations() * batch));
}

template <class Net>
void predict(benchmark::State& state) {
  const auto& data = synthetic(1024);
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  model.backend().set_threads(unsigned(state.range(1)));  // threads (the second argument)
  for (auto _ : state) benchmark::DoNotOptimize(model.predict(data, std::size_t(state.range(0))));
  state.SetItemsProcessed(std::int64_t(state.iterations() * data.size()));
  state.counters["GFLOP/s"] = benchmark::Counter(Net::flops_per_sample * double(data.size()) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
}  // namespace

// One epoch over 8192 samples, batch 64, with every guard at its default level or all off:
// the guards' cost, data checks included. Run with --benchmark_enable_random_interleaving.
enum Guards { off, all, training_only };
template <class Net, Guards G>
void epoch(benchmark::State& state) {
  const auto& data = synthetic(8192);
  tg::GuardPolicy policy = G == off ? tg::GuardPolicy::all(tg::GuardLevel::off) : tg::GuardPolicy{};
  if (G == training_only)
    for (const char* code :
         {tg::guard::data_nonfinite, tg::guard::data_range, tg::guard::data_labels,
          tg::guard::data_constant, tg::guard::data_duplicates, tg::guard::data_imbalance,
          tg::guard::data_leakage, tg::guard::data_scaler_leak, tg::guard::data_memory,
          tg::guard::data_shift, tg::guard::data_absent_class})
      policy.set(code, tg::GuardLevel::off);
  policy.print_warnings = false;
  for (auto _ : state) {
    state.PauseTiming();
    tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
    state.ResumeTiming();
    auto history = model.fit(
        data, {.epochs = 1, .batch_size = 64, .verbose = tg::Verbosity::silent, .guards = policy});
    if (!history.guards.events.empty()) state.SkipWithError(history.guards.events[0].code.c_str());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * data.size()));
}

// The data guards alone on the whole Fashion-MNIST training set (model.check_data).
void data_guards_fashion_mnist(benchmark::State& state) {
  static const auto sets = tg::data::fashion_mnist();
  tg::Model<Mlp, tg::loss::SparseCategoricalCrossentropy> model;
  tg::GuardPolicy policy;
  policy.print_warnings = false;
  for (auto _ : state)
    benchmark::DoNotOptimize(model.check_data(
        sets.first, {.batch_size = 64, .validation = sets.second, .guards = policy}));
}

BENCHMARK(epoch<Mlp, off>)->Unit(benchmark::kMillisecond);
BENCHMARK(epoch<Mlp, all>)->Unit(benchmark::kMillisecond);
BENCHMARK(epoch<Mlp, training_only>)->Unit(benchmark::kMillisecond);
BENCHMARK(epoch<Cnn, off>)->Unit(benchmark::kMillisecond);
BENCHMARK(epoch<Cnn, all>)->Unit(benchmark::kMillisecond);
BENCHMARK(epoch<Cnn, training_only>)->Unit(benchmark::kMillisecond);
BENCHMARK(data_guards_fashion_mnist)->Unit(benchmark::kMillisecond);
BENCHMARK(train_step<Mlp>)->Arg(32)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK(train_step<Cnn>)->Arg(32)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK(train_step_threads<Cnn>)
    ->Args({1, 128})
    ->Args({2, 128})
    ->Args({1, 64})
    ->Args({2, 64})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(train_step_threads<Mlp>)
    ->Args({1, 128})
    ->Args({2, 128})
    ->Args({1, 64})
    ->Args({2, 64})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(train_step_working_set<Cnn>)
    ->RangeMultiplier(2)
    ->Range(512, 64 << 10)
    ->Unit(benchmark::kMicrosecond);
// The same sweep for the family's deeper convolution stacks (bench/family.hpp).
BENCHMARK(train_step_working_set<bench::family::Vgg>)
    ->RangeMultiplier(2)
    ->Range(1 << 10, 32 << 10)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(train_step_working_set<bench::family::ResCnn>)
    ->RangeMultiplier(2)
    ->Range(1 << 10, 32 << 10)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(predict<Mlp>)->ArgsProduct({{32, 64, 128, 256}, {1, 2}})->Unit(benchmark::kMillisecond);
BENCHMARK(predict<Cnn>)->ArgsProduct({{32, 64, 128, 256}, {1, 2}})->Unit(benchmark::kMillisecond);
int main(int argc, char** argv) {
#ifdef TG_BENCH_CUDA
  if (tg::cuda::device_problem().empty()) {  // a GPU is here: its training steps too
    benchmark::RegisterBenchmark("train_step<Mlp, Cuda>", train_step<Mlp, tg::Cuda>)
        ->Arg(64)
        ->Arg(1024)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("train_step<Cnn, Cuda>", train_step<Cnn, tg::Cuda>)
        ->Arg(64)
        ->Arg(1024)
        ->Unit(benchmark::kMicrosecond);
  }
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
