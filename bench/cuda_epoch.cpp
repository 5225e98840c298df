// One epoch of Fashion-MNIST on tg::Cuda (the README CNN and the MLP, batch 64 and 1024), a
// GEMM-bound MLP (4 x 4096, batch 1024) against cuBLAS's own GEMM rate measured in the same run,
// and the empty-kernel launch time. Prints a table; with an argument, also writes it as CSV.
// Run by tests/gpu/run.sh beside bench/peer_pytorch.py (docs/performance.md has the numbers).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <tensorguard/backend/cuda.hpp>
#include <tensorguard/tensorguard.hpp>
#include <vector>

#include "models.hpp"

namespace tg = tensorguard;
using Clock = std::chrono::steady_clock;

namespace {

struct Row {
  std::string what;
  std::size_t batch;
  double seconds, samples_per_second, extra;
};
std::vector<Row> rows;

void report(Row r, const char* extra_name = "") {
  std::printf("%-34s batch %5zu  %8.3f s  %10.0f samples/s  %s %.3f\n", r.what.c_str(), r.batch,
              r.seconds, r.samples_per_second, extra_name, r.extra);
  std::fflush(stdout);
  rows.push_back(std::move(r));
}

// The second of two epochs in one fit (the first fills buffers and warms cuBLAS; the data
// checks run before it), with the kernels it queued against the empty-launch floor.
template <class Net, class D>
void time_epoch(const char* name, const D& train, const D& test, std::size_t batch, bool guards) {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy, tg::Cuda> model;
  tg::FitOptions<D> options;
  options.epochs = 2;
  options.batch_size = batch;
  options.verbose = tg::Verbosity::silent;
  if (!guards) options.guards = tg::GuardPolicy::all(tg::GuardLevel::off);
  std::size_t launches_before = 0, launches_after = 0, steps = 0;
  options.callbacks.push_back(
      {.on_epoch_end = [&](const tg::EpochLogs& logs, tg::TrainingControl&) {
        (logs.epoch == 1 ? launches_before : launches_after) = tg::Cuda::launches();
        steps = logs.steps;
      }});
  const auto history = model.fit(train, options);
  const double seconds = history.epochs.back().seconds;
  const double accuracy = model.evaluate(test).accuracy;
  const double per_step = double(launches_after - launches_before) / double(steps);
  const double floor = per_step * model.backend().empty_launch_seconds() * double(steps);
  std::printf("  %.1f kernels a step; launch floor %.3f s an epoch; step time = %.1fx the floor\n",
              per_step, floor, seconds / floor);
  report({std::string(name) + (guards ? " (guards on)" : " (guards off)"), batch, seconds,
          double(train.size()) / seconds, 100 * accuracy},
         "test accuracy %");
}

// Training steps of a 4096-wide MLP against cuBLAS's GEMM rate (FP32, or TF32 when allowed):
// the share of peak a GEMM-bound network reaches.
void gemm_bound_mlp(bool tf32) {
  constexpr std::size_t width = 4096, batch = 1024, samples = 8 * batch;
  using Wide = tg::Sequential<tg::Input<tg::Shape<width>>, tg::Dense<width, tg::ReLU>,
                              tg::Dense<width, tg::ReLU>, tg::Dense<width, tg::ReLU>,
                              tg::Dense<width, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
  using D = tg::Dataset<tg::Shape<width>, tg::ClassIndex<10>>;
  D data;
  tg::Rng rng(5);
  std::vector<float> x(width);
  for (std::size_t i = 0; i < samples; ++i) {
    for (auto& v : x) v = float(rng.uniform());
    const auto k = std::int32_t(rng.below(10));
    data.push_back(x, std::span<const std::int32_t>(&k, 1));
  }
  tg::Model<Wide, tg::loss::SparseCategoricalCrossentropy, tg::Cuda> model;
  model.backend().set_tf32(tf32);
  tg::FitOptions<D> options;
  options.batch_size = batch;
  options.verbose = tg::Verbosity::silent;
  options.guards = tg::GuardPolicy::all(tg::GuardLevel::off);
  model.fit(data, options);
  const int epochs = 3;
  options.epochs = epochs;
  const auto start = Clock::now();
  model.fit(data, options);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double steps = double(epochs) * samples / batch;
  // One GEMM of a hidden layer: 2 x batch x width x width. Each layer runs its forward GEMM and
  // the weight gradient's; all but the first also the input gradient's: 2 + 3 x 3 = 11 GEMMs.
  const double layer = 2.0 * batch * width * width;
  const double flops_per_step = 11 * layer + 3 * 2.0 * batch * width * 10;
  const double achieved = flops_per_step * steps / seconds;

  tg::Cuda gpu;
  gpu.set_tf32(tf32);
  tg::cuda::DeviceBuffer<float> a(width * width), b(width * batch), c(width * batch);
  auto sgemm = [&] {
    gpu.gemm(tg::Cuda::Op::none, tg::Cuda::Op::none, width, batch, width, 1.0f,
             tg::DevicePtr<const float>(a.data()), width, tg::DevicePtr<const float>(b.data()),
             width, 0.0f, c.data(), width);
  };
  for (int i = 0; i < 5; ++i) sgemm();
  gpu.synchronize();
  const int repeats = 50;
  const auto s0 = Clock::now();
  for (int i = 0; i < repeats; ++i) sgemm();
  gpu.synchronize();
  const double gemm_seconds = std::chrono::duration<double>(Clock::now() - s0).count() / repeats;
  const double peak = layer / gemm_seconds;
  const char* math = tf32 ? "TF32" : "FP32";
  std::printf(
      "cuBLAS GEMM 4096x1024x4096 (%s): %.1f TFLOP/s; 4x4096 MLP training: %.1f "
      "TFLOP/s = %.0f%% of it\n",
      math, peak / 1e12, achieved / 1e12, 100 * achieved / peak);
  report({std::string("MLP 4x4096 (guards off, ") + math + ")", batch, seconds / epochs,
          samples / (seconds / epochs), 100 * achieved / peak},
         "% of GEMM");
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("tg::Cuda on %s\n", tg::cuda::device_name().c_str());
  auto [train, test] = tg::data::fashion_mnist();
  for (std::size_t batch : {std::size_t(64), std::size_t(1024)}) {
    time_epoch<bench::Mlp>("MLP 784-128-10", train, test, batch, true);
    time_epoch<bench::Cnn>("CNN (README)", train, test, batch, true);
  }
  time_epoch<bench::Mlp>("MLP 784-128-10", train, test, 64, false);
  time_epoch<bench::Cnn>("CNN (README)", train, test, 64, false);
  gemm_bound_mlp(false);
  gemm_bound_mlp(true);
  if (argc > 1) {
    std::ofstream out(argv[1]);
    out << "what,batch,seconds,samples_per_second,extra\n";
    for (const auto& r : rows)
      out << r.what << ',' << r.batch << ',' << r.seconds << ',' << r.samples_per_second << ','
          << r.extra << '\n';
  }
}
