// tg::Cuda against tg::Cpu, in one process: every op, a gradient check in double precision on the
// GPU, models trained on both, the guards, and no allocation after a step's first. Without a GPU
// each case says so and checks only that the backend refuses to start, in one clear line.
// tests/gpu/run.sh runs this file on a GPU machine (with Fashion-MNIST for the [fmnist] cases).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <tensorguard/backend/cuda.hpp>
#include <tensorguard/tensorguard.hpp>
#include <vector>

#include "gradient_check.hpp"
#include "random_dataset.hpp"

namespace tg = tensorguard;

namespace {

bool have_gpu() {
  static const std::string problem = tg::cuda::device_problem();
  if (!problem.empty()) SUCCEED("skipped, no GPU here: " << problem);
  return problem.empty();
}

template <class T>
std::vector<T> random_values(std::size_t n, std::uint64_t seed, double lo = -2, double hi = 2) {
  tg::Rng rng(seed);
  std::vector<T> v(n);
  for (auto& x : v) x = T(rng.uniform(lo, hi));
  return v;
}

// A device copy of host values, and back.
template <class T>
tg::cuda::DeviceBuffer<T> on_device(tg::Cuda& gpu, const std::vector<T>& host) {
  tg::cuda::DeviceBuffer<T> b(host.size());
  gpu.upload(host.data(), b.data(), host.size());
  return b;
}
template <class T>
std::vector<T> on_host(tg::Cuda& gpu, const tg::cuda::DeviceBuffer<T>& b) {
  std::vector<T> out(b.size());
  gpu.download(b.data(), out.data(), b.size());
  return out;
}

// The largest difference relative to the largest value (elementwise relative errors blow up
// where a sum cancels to nearly 0).
double max_relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0, largest = 1e-30;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
    largest = std::max(largest, std::abs(double(a[i])));
  }
  return a.size() == b.size() ? worst / largest : 1e300;
}

}  // namespace

TEST_CASE("tg::Cuda starts on a GPU, or says in one line why it cannot", "[cuda]") {
  const std::string problem = tg::cuda::device_problem();
  if (!problem.empty()) {
    CHECK_THROWS_WITH(tg::Cuda{},
                      Catch::Contains("tg::Cuda: ") && Catch::Contains("train on tg::Cpu here"));
    WARN("no GPU here: " << problem);
    return;
  }
  tg::Cuda gpu;
  CHECK(gpu.available_memory_bytes() > (std::size_t(1) << 28));
  CHECK_FALSE(gpu.tf32());
  std::printf("GPU: %s, %zu MiB free\n", tg::cuda::device_name().c_str(),
              gpu.available_memory_bytes() >> 20);
}

TEST_CASE("Every Cuda op computes what the Cpu op computes", "[cuda][gpu]") {
  if (!have_gpu()) return;
  tg::Cuda gpu;
  tg::Cpu cpu(1u);
  using V = std::vector<float>;

  // C = alpha op(A) op(B) + beta C in the four transpose combinations, on both backends.
  auto check_gemm = [&](std::size_t m, std::size_t n, std::size_t k, float alpha, float beta,
                        double tolerance) {
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        const V a = random_values<float>(m * k, 1), b = random_values<float>(k * n, 2);
        V c = random_values<float>(m * n, 3);
        auto da = on_device(gpu, a), db = on_device(gpu, b), dc = on_device(gpu, c);
        const std::size_t lda = ta ? k : m, ldb = tb ? n : k;
        cpu.gemm(ta ? tg::Cpu::Op::transpose : tg::Cpu::Op::none,
                 tb ? tg::Cpu::Op::transpose : tg::Cpu::Op::none, m, n, k, alpha, a.data(), lda,
                 b.data(), ldb, beta, c.data(), m);
        gpu.gemm(ta ? tg::Cuda::Op::transpose : tg::Cuda::Op::none,
                 tb ? tg::Cuda::Op::transpose : tg::Cuda::Op::none, m, n, k, alpha,
                 tg::DevicePtr<const float>(da.data()), lda, tg::DevicePtr<const float>(db.data()),
                 ldb, beta, dc.data(), m);
        INFO(m << " x " << n << " x " << k << ", transposes " << ta << tb);
        CHECK(max_relative_difference(c, on_host(gpu, dc)) < tolerance);
      }
  };
  SECTION("GEMM in every transpose combination, strict FP32") {
    check_gemm(37, 53, 129, 0.5f, 1.0f, 1e-5);
  }
  SECTION("TF32 is opt-in: close to FP32, not equal") {
    const std::size_t n = 256;
    const V a = random_values<float>(n * n, 31), b = random_values<float>(n * n, 32);
    V c(n * n, 0.f);
    auto da = on_device(gpu, a), db = on_device(gpu, b);
    tg::cuda::DeviceBuffer<float> dc(n * n);
    cpu.gemm(tg::Cpu::Op::none, tg::Cpu::Op::none, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
             c.data(), n);
    gpu.set_tf32(true);
    CHECK(gpu.tf32());
    gpu.gemm(tg::Cuda::Op::none, tg::Cuda::Op::none, n, n, n, 1.0f,
             tg::DevicePtr<const float>(da.data()), n, tg::DevicePtr<const float>(db.data()), n,
             0.0f, dc.data(), n);
    const double difference = max_relative_difference(c, on_host(gpu, dc));
    gpu.set_tf32(false);
    CHECK(difference < 1e-2);
    CHECK(difference > 1e-6);  // a 10-bit mantissa in the products
  }
  SECTION("GEMM with a long inner dimension, split across the GPU (a convolution's dW)") {
    check_gemm(32, 9, 262144, 1.0f, 0.5f, 1e-4);  // slices that divide the inner dimension
    check_gemm(32, 9, 300007, 1.0f, 0.0f, 1e-4);  // and a remainder
  }
  SECTION("bias columns and their gradient") {
    const std::size_t rows = 32, cols = 4000;
    const V dy = random_values<float>(rows * cols, 4);
    V db(rows, 0.5f);
    auto ddy = on_device(gpu, dy), ddb = on_device(gpu, db);
    cpu.add_column_sums(dy.data(), rows, cols, db.data());
    gpu.add_column_sums(ddy.data(), rows, cols, ddb.data());
    CHECK(max_relative_difference(db, on_host(gpu, ddb)) < 1e-4);
  }
  SECTION("activations, softmax and elementwise maps") {
    const std::size_t n = 10000;
    const V z = random_values<float>(n, 5, -8, 8), dy = random_values<float>(n, 6);
    auto dz = on_device(gpu, z), ddy = on_device(gpu, dy);
    tg::cuda::DeviceBuffer<float> dout(n), dgrad(n);
    V out(n), grad(n);
    auto compare = [&](const char* what, double tolerance) {
      INFO(what);
      CHECK(max_relative_difference(out, on_host(gpu, dout)) <= tolerance);
    };
    cpu.activation_forward<tg::GELU>(z.data(), out.data(), n);
    gpu.activation_forward<tg::GELU>(dz.data(), dout.data(), n);
    compare("GELU", 1e-6);  // CUDA's erff and expf are within 2 ulp of glibc's
    cpu.activation_forward<tg::Tanh>(z.data(), out.data(), n);
    gpu.activation_forward<tg::Tanh>(dz.data(), dout.data(), n);
    compare("Tanh", 1e-6);
    cpu.activation_backward<tg::Sigmoid>(z.data(), z.data(), dy.data(), out.data(), n);
    gpu.activation_backward<tg::Sigmoid>(dz.data(), dz.data(), ddy.data(), dout.data(), n);
    compare("Sigmoid backward", 1e-6);
    cpu.softmax_forward(z.data(), out.data(), 10, n / 10);
    gpu.softmax_forward(dz.data(), dout.data(), 10, n / 10);
    compare("softmax", 1e-5);
    cpu.multiply(z.data(), dy.data(), out.data(), n);
    gpu.multiply(dz.data(), ddy.data(), dout.data(), n);
    compare("multiply", 0);
    cpu.copy_blocks(z.data(), 10, out.data(), 20, 7, n / 20);
    gpu.copy_blocks(dz.data(), 10, dout.data(), 20, 7, n / 20);
    compare("copy_blocks", 0);
    cpu.dropout_forward(z.data(), out.data(), grad.data(), n, 0.3, 99, 12345);
    gpu.dropout_forward(dz.data(), dout.data(), dgrad.data(), n, 0.3, 99, 12345);
    compare("dropout", 0);
  }
  SECTION("windows: im2col, col2im, pooling") {
    for (auto g : {tg::make_window_geometry(28, 28, 1, 3, 3, 1, 1, tg::Padding::valid),
                   tg::make_window_geometry(13, 13, 8, 3, 3, 2, 2, tg::Padding::same)}) {
      const std::size_t n = 5;
      const V x = random_values<float>(n * g.in_size(), 7);
      auto dx_in = on_device(gpu, x);
      V cols(n * g.out_positions() * g.patch_size());
      tg::cuda::DeviceBuffer<float> dcols(cols.size());
      cpu.im2col(g, x.data(), cols.data(), n);
      gpu.im2col(g, dx_in.data(), dcols.data(), n);
      CHECK(on_host(gpu, dcols) == cols);
      V back(x.size());
      tg::cuda::DeviceBuffer<float> dback(x.size());
      cpu.col2im(g, cols.data(), back.data(), n);
      gpu.col2im(g, dcols.data(), dback.data(), n);
      CHECK(on_host(gpu, dback) == back);
      const std::size_t outputs = n * g.out_positions() * g.channels;
      V y(outputs);
      std::vector<std::uint32_t> at(outputs);
      tg::cuda::DeviceBuffer<float> dy(outputs);
      tg::cuda::DeviceBuffer<std::uint32_t> dat(outputs);
      cpu.max_pool_forward(g, x.data(), y.data(), at.data(), n);
      gpu.max_pool_forward(g, dx_in.data(), dy.data(), dat.data(), n);
      CHECK(on_host(gpu, dy) == y);
      CHECK(on_host(gpu, dat) == at);
      cpu.max_pool_backward(g, y.data(), at.data(), back.data(), n);
      gpu.max_pool_backward(g, dy.data(), dat.data(), dback.data(), n);
      CHECK(on_host(gpu, dback) == back);
    }
  }
  SECTION("batch normalisation, training and backward") {
    const std::size_t channels = 16, rows = 3000;
    const V x = random_values<float>(channels * rows, 8, -3, 5),
            dy = random_values<float>(channels * rows, 9);
    V gamma = random_values<float>(channels, 10), beta = random_values<float>(channels, 11);
    V y(x.size()), xh(x.size()), inv(channels), rm(channels, 0.f), rv(channels, 1.f);
    auto dx_ = on_device(gpu, x), ddy = on_device(gpu, dy), dg = on_device(gpu, gamma),
         dbeta = on_device(gpu, beta), drm = on_device(gpu, rm), drv = on_device(gpu, rv);
    tg::cuda::DeviceBuffer<float> d_y(x.size()), d_xh(x.size()), d_inv(channels);
    cpu.batchnorm_forward_training(x.data(), y.data(), xh.data(), inv.data(), gamma.data(),
                                   beta.data(), rm.data(), rv.data(), channels, rows, 0.99f, 1e-3f);
    gpu.batchnorm_forward_training(dx_.data(), d_y.data(), d_xh.data(), d_inv.data(), dg.data(),
                                   dbeta.data(), drm.data(), drv.data(), channels, rows, 0.99f,
                                   1e-3f);
    CHECK(max_relative_difference(y, on_host(gpu, d_y)) < 1e-5);
    CHECK(max_relative_difference(rv, on_host(gpu, drv)) < 1e-5);
    V dxv(x.size()), dgam(channels, 0.f), dbet(channels, 0.f);
    auto d_dgam = on_device(gpu, dgam), d_dbet = on_device(gpu, dbet);
    tg::cuda::DeviceBuffer<float> d_dx(x.size());
    cpu.batchnorm_backward(dy.data(), xh.data(), inv.data(), gamma.data(), dxv.data(), dgam.data(),
                           dbet.data(), channels, rows);
    gpu.batchnorm_backward(ddy.data(), d_xh.data(), d_inv.data(), dg.data(), d_dx.data(),
                           d_dgam.data(), d_dbet.data(), channels, rows);
    CHECK(max_relative_difference(dxv, on_host(gpu, d_dx)) < 1e-3);
    CHECK(max_relative_difference(dgam, on_host(gpu, d_dgam)) < 1e-4);
  }
  SECTION("loss, accuracy and guard reductions into the step record") {
    const std::size_t n = 1000, classes = 10;
    const V z = random_values<float>(n * classes, 12, -4, 4);
    std::vector<std::int32_t> labels(n);
    for (std::size_t s = 0; s < n; ++s) labels[s] = std::int32_t((s * 7) % classes);
    auto dz = on_device(gpu, z);
    auto dl = on_device(gpu, labels);
    std::vector<double> record(4, 0.0);
    auto drecord = on_device(gpu, record);
    V grad(z.size());
    tg::cuda::DeviceBuffer<float> dgrad(z.size());
    using Fused = tg::loss::FromLogits<tg::loss::SparseCategoricalCrossentropy>;
    cpu.loss<Fused>(z.data(), labels.data(), grad.data(), classes, 1, n, n, &record[0]);
    gpu.loss<Fused>(tg::DevicePtr<const float>(dz.data()),
                    tg::DevicePtr<const std::int32_t>(dl.data()), dgrad.data(), classes, 1, n, n,
                    drecord.data());
    cpu.count_correct<tg::ClassIndex<10>>(z.data(), labels.data(), classes, n, 0.5f, &record[1]);
    gpu.count_correct<tg::ClassIndex<10>>(tg::DevicePtr<const float>(dz.data()),
                                          tg::DevicePtr<const std::int32_t>(dl.data()), classes, n,
                                          0.5f, drecord.data() + 1);
    cpu.sum_squares(z.data(), z.size(), &record[2]);
    gpu.sum_squares(tg::DevicePtr<const float>(dz.data()), z.size(), drecord.data() + 2);
    const auto got = on_host(gpu, drecord);
    CHECK(got[0] == Approx(record[0]).epsilon(1e-6));  // expf and logf: a few ulp a sample
    CHECK(got[1] == record[1]);
    CHECK(got[2] == Approx(record[2]).epsilon(1e-12));
    CHECK(max_relative_difference(grad, on_host(gpu, dgrad)) < 1e-5);
  }
}

namespace {
using SmallCnn =
    tg::Sequential<tg::Input<tg::Shape<8, 8, 1>>, tg::Conv2D<4, tg::Kernel<3>, tg::ReLU>,
                   tg::MaxPool2D<tg::Pool<2>>, tg::Flatten, tg::Dropout<tg::Rate<25>>,
                   tg::Dense<16, tg::Tanh>, tg::Dense<3, tg::Softmax>>;
using SmallLoss = tg::loss::SparseCategoricalCrossentropy;
}  // namespace

TEST_CASE("Gradients on the GPU match finite differences in double precision", "[cuda][gpu]") {
  if (!have_gpu()) return;
  using Net =
      tg::Sequential<tg::Input<tg::Shape<6, 6, 2>, double>,
                     tg::Conv2D<3, tg::Kernel<3>, tg::Same, tg::Tanh>, tg::BatchNormalization,
                     tg::AvgPool2D<tg::Pool<2>>, tg::Conv2D<4, tg::Kernel<1>, tg::GELU>,
                     tg::GlobalAveragePool2D, tg::Dense<3, tg::Softmax>>;
  const auto report =
      testing::check_gradients<Net, tg::loss::CategoricalCrossentropy, tg::OneHot<3>, tg::Cuda>(4);
  INFO("relative error " << report.relative_error << " over " << report.parameters);
  CHECK(report.analytic_norm > 1e-8);
  CHECK(report.relative_error < 1e-6);
  const auto cpu =
      testing::check_gradients<Net, tg::loss::CategoricalCrossentropy, tg::OneHot<3>, tg::Cpu>(4);
  CHECK(cpu.analytic_norm == Approx(report.analytic_norm).epsilon(1e-9));
}

TEST_CASE("A model with Dropout trains on Cuda as on Cpu", "[cuda][gpu]") {
  if (!have_gpu()) return;
  const auto data = testing::random_dataset<tg::Shape<8, 8, 1>, 3>(200, 7);
  auto train = [&](auto& model) {
    tg::FitOptions<std::decay_t<decltype(data)>> options;
    options.epochs = 3;
    options.batch_size = 16;
    options.verbose = tg::Verbosity::silent;
    options.guards.sample_every = 1;
    return model.fit(data, options);
  };
  tg::Model<SmallCnn, SmallLoss, tg::Cpu> cpu;
  cpu.backend().set_threads(1);  // one part: the device's Dropout masks (replicas draw their own)
  tg::Model<SmallCnn, SmallLoss, tg::Cuda> gpu;
  const auto a = train(cpu), b = train(gpu);
  REQUIRE(a.epochs.size() == b.epochs.size());
  for (std::size_t e = 0; e < a.epochs.size(); ++e)
    CHECK(b.epochs[e].loss == Approx(a.epochs[e].loss).epsilon(1e-4));
  CHECK(max_relative_difference(cpu.predict(data), gpu.predict(data)) < 1e-3);
  CHECK(gpu.evaluate(data).accuracy == Approx(cpu.evaluate(data).accuracy).margin(0.011));
}

TEST_CASE("Training steps replay a CUDA graph and train exactly as launched one by one",
          "[cuda][gpu]") {
  if (!have_gpu()) return;
  using Net = tg::Sequential<tg::Input<tg::Shape<8, 8, 1>>, tg::Conv2D<4, tg::Kernel<3>, tg::ReLU>,
                             tg::BatchNormalization, tg::MaxPool2D<tg::Pool<2>>, tg::Flatten,
                             tg::Dense<16, tg::Tanh>, tg::Dense<3, tg::Softmax>>;
  const auto data = testing::random_dataset<tg::Shape<8, 8, 1>, 3>(330, 9);  // a short last batch
  const auto validation = testing::random_dataset<tg::Shape<8, 8, 1>, 3>(100, 10);
  auto train = [&](auto& model) {
    tg::FitOptions<std::decay_t<decltype(data)>> options;
    options.epochs = 3;
    options.batch_size = 32;
    options.validation = validation;  // evaluation between epochs: other buffers, other shapes
    options.verbose = tg::Verbosity::silent;
    return model.fit(data, options);
  };
  tg::Model<Net, SmallLoss, tg::Cuda> graphed, launched;
  launched.backend().set_graphs(false);
  const auto a = train(graphed), b = train(launched);
  for (std::size_t e = 0; e < a.epochs.size(); ++e) {
    CHECK(a.epochs[e].loss == b.epochs[e].loss);
    CHECK(a.epochs[e].val_loss == b.epochs[e].val_loss);
  }
  CHECK(graphed.get_weights() == launched.get_weights());
  CHECK(graphed.backend().graph_replays() >= 20);  // of 33 steps: not the eager or sampled ones
  CHECK(launched.backend().graph_replays() == 0);

  tg::Model<SmallCnn, SmallLoss, tg::Cuda> with_dropout;  // new masks every step: no graph
  train(with_dropout);
  CHECK(with_dropout.backend().graph_replays() == 0);
}

TEST_CASE("A training step on Cuda allocates nothing after the first", "[cuda][gpu]") {
  if (!have_gpu()) return;
  const auto data = testing::random_dataset<tg::Shape<8, 8, 1>, 3>(640, 8);
  tg::Model<SmallCnn, SmallLoss, tg::Cuda> model;
  std::size_t after_first = 0, at_end = 0, steps = 0;
  tg::FitOptions<std::decay_t<decltype(data)>> options;
  options.epochs = 2;
  options.batch_size = 32;
  options.verbose = tg::Verbosity::silent;
  options.callbacks.push_back({.on_batch_end = [&](std::size_t, double, tg::TrainingControl&) {
    if (++steps == 1) after_first = tg::Cuda::allocations();
    at_end = tg::Cuda::allocations();
  }});
  model.fit(data, options);
  CHECK(steps == 40);
  CHECK(at_end == after_first);
}

TEST_CASE("The memory guard reads the GPU's free memory", "[cuda][gpu]") {
  if (!have_gpu()) return;
  tg::Model<SmallCnn, SmallLoss, tg::Cuda> model;
  const std::size_t free = model.backend().available_memory_bytes();
  CHECK(free > (std::size_t(1) << 28));
  CHECK(free < (std::size_t(1) << 40));
}

namespace {
using FashionMlp = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Flatten,
                                  tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
using FashionCnn =
    tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3, 3>, tg::ReLU>,
                   tg::MaxPool2D<tg::Pool<2, 2>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
using Fashion = decltype(tg::data::fashion_mnist().first);

// Per-step losses of `steps` steps (batch 64, seed 42), then the test accuracy after one epoch.
template <class Net, class B>
std::pair<std::vector<double>, double> fashion_run(const Fashion& train, const Fashion& test,
                                                   std::size_t steps) {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy, B> model{tg::optim::Adam{}, 42};
  std::vector<double> losses;
  tg::FitOptions<Fashion> options;
  options.batch_size = 64;
  options.verbose = tg::Verbosity::silent;
  options.callbacks.push_back({.on_batch_end = [&](std::size_t, double loss, tg::TrainingControl&) {
    if (losses.size() < steps) losses.push_back(loss);
  }});
  model.fit(train, options);
  return {losses, model.evaluate(test).accuracy};
}

template <class Net>
void compare_on_fashion(const char* name) {
  auto [train, test] = tg::data::fashion_mnist();
  const auto cpu = fashion_run<Net, tg::Cpu>(train, test, 300);
  const auto gpu = fashion_run<Net, tg::Cuda>(train, test, 300);
  REQUIRE(cpu.first.size() == 300);
  REQUIRE(gpu.first.size() == 300);
  double early = 0, late = 0;
  for (std::size_t i = 0; i < 300; ++i) {
    const double d = std::abs(cpu.first[i] - gpu.first[i]) / std::abs(cpu.first[i]);
    (i < 50 ? early : late) = std::max(i < 50 ? early : late, d);
  }
  std::printf(
      "%s: loss curves differ by at most %.2e (steps 1-50) and %.2e (51-300); one-epoch "
      "test accuracy Cpu %.2f%%, Cuda %.2f%%\n",
      name, early, late, 100 * cpu.second, 100 * gpu.second);
  CHECK(early < 1e-3);
  CHECK(late < 2e-2);
  CHECK(std::abs(cpu.second - gpu.second) < 0.005);
}

bool have_fashion_mnist() {
  try {
    tg::data::fashion_mnist();
    return true;
  } catch (const std::exception& e) {
    SUCCEED("skipped, no Fashion-MNIST here: " << e.what());
    return false;
  }
}
}  // namespace

TEST_CASE("The README CNN trains on Cuda as on Cpu: loss curve and accuracy",
          "[cuda][gpu][fmnist]") {
  if (!have_gpu() || !have_fashion_mnist()) return;
  compare_on_fashion<FashionCnn>("CNN");
}
TEST_CASE("The MLP trains on Cuda as on Cpu: loss curve and accuracy", "[cuda][gpu][fmnist]") {
  if (!have_gpu() || !have_fashion_mnist()) return;
  compare_on_fashion<FashionMlp>("MLP");
}

TEST_CASE("The divergence guard stops Adam at rate 1000 at the same step on Cuda as on Cpu",
          "[cuda][gpu][fmnist]") {
  if (!have_gpu() || !have_fashion_mnist()) return;
  auto [train, test] = tg::data::fashion_mnist();
  auto stop_of = [&](auto& model) -> tg::GuardEvent {
    try {
      model.fit(train, {.epochs = 1, .batch_size = 64, .verbose = tg::Verbosity::silent});
    } catch (const tg::GuardStop& stop) {
      return stop.event;
    }
    return {};
  };
  tg::Model<FashionMlp, tg::loss::SparseCategoricalCrossentropy, tg::Cpu> cpu{
      tg::optim::Adam{.learning_rate = 1000}};
  tg::Model<FashionMlp, tg::loss::SparseCategoricalCrossentropy, tg::Cuda> gpu{
      tg::optim::Adam{.learning_rate = 1000}};
  const auto a = stop_of(cpu), b = stop_of(gpu);
  std::printf("learning rate 1000: Cpu stopped at step %zu by %s, Cuda at step %zu by %s\n", a.step,
              a.code.c_str(), b.step, b.code.c_str());
  CHECK_FALSE(a.code.empty());
  CHECK(a.code == b.code);
  CHECK(a.step == b.step);
}
