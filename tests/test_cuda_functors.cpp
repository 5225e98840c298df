// The CUDA backend's kernel bodies, run on the host against the CPU backend's ops: the same math
// a GPU runs, checked on a machine without one. Gathers and pooling must match bit for bit,
// transcendental activations within a few ulp, sums of doubles to rounding.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <tensorguard/backend/cuda/functors.hpp>
#include <tensorguard/tensorguard.hpp>
#include <vector>

namespace tg = tensorguard;
namespace cu = tensorguard::cuda;

namespace {

template <class F>
void run(F f, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) f(i);
}
template <class F>
double sum(F f, std::size_t n) {
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) total += f(i);
  return total;
}

std::vector<float> random_values(std::size_t n, std::uint64_t seed, float lo = -2, float hi = 2) {
  tg::Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = float(rng.uniform(lo, hi));
  return v;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}
// Equal up to where a compiler fuses a multiply and an add (nvcc does by default, g++ in some
// loops): one rounding per term of the sum.
bool equal_to_fma_rounding(const std::vector<float>& a, const std::vector<float>& b, float scale) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::abs(a[i] - b[i]) > 8 * scale * std::numeric_limits<float>::epsilon()) return false;
  return true;
}

// Geometries with and without padding, strides that skip pixels and windows that overlap.
std::vector<tg::WindowGeometry> geometries() {
  return {tg::make_window_geometry(8, 8, 3, 3, 3, 1, 1, tg::Padding::valid),
          tg::make_window_geometry(7, 9, 2, 3, 3, 1, 1, tg::Padding::same),
          tg::make_window_geometry(9, 7, 4, 3, 2, 2, 3, tg::Padding::same),
          tg::make_window_geometry(6, 6, 5, 2, 2, 2, 2, tg::Padding::valid),
          tg::make_window_geometry(7, 7, 1, 2, 2, 2, 2, tg::Padding::valid),  // last row uncovered
          tg::make_window_geometry(5, 8, 2, 5, 1, 1, 2, tg::Padding::same),
          tg::make_window_geometry(7, 7, 2, 2, 2, 2, 2, tg::Padding::same)};  // over the edge
}

template <class A>
void check_activation(float tolerance_ulps) {
  const auto z = random_values(4096, 11, -8, 8);
  const auto dy = random_values(4096, 12);
  std::vector<float> y_cpu(z.size()), y_gpu(z.size()), dz_cpu(z.size()), dz_gpu(z.size());
  tg::Cpu::activation_forward<A>(z.data(), y_cpu.data(), z.size());
  run(cu::ActivationForward<A, float>{z.data(), y_gpu.data()}, z.size());
  tg::Cpu::activation_backward<A>(z.data(), y_cpu.data(), dy.data(), dz_cpu.data(), z.size());
  run(cu::ActivationBackward<A, float>{z.data(), y_cpu.data(), dy.data(), dz_gpu.data()}, z.size());
  for (std::size_t i = 0; i < z.size(); ++i) {
    const float scale =
        std::max(std::abs(y_cpu[i]), 1e-30f) * std::numeric_limits<float>::epsilon();
    REQUIRE(std::abs(y_cpu[i] - y_gpu[i]) <= tolerance_ulps * scale);
    const float dscale =
        std::max(std::abs(dz_cpu[i]), 1e-30f) * std::numeric_limits<float>::epsilon();
    REQUIRE(std::abs(dz_cpu[i] - dz_gpu[i]) <= tolerance_ulps * dscale);
  }
}

}  // namespace

TEST_CASE("CUDA activation kernels compute the CPU's values", "[cuda][functors]") {
  // The host runs the same expressions: equal here, and within a few ulp on the GPU, whose
  // exp/erf/tanh differ from glibc's by at most 2 ulp.
  check_activation<tg::ReLU>(0);
  check_activation<tg::Linear>(0);
  check_activation<tg::LeakyReLU<>>(0);
  check_activation<tg::ELU<>>(0);
  check_activation<tg::Sigmoid>(0);
  check_activation<tg::Tanh>(0);
  check_activation<tg::GELU>(0);
}

TEST_CASE("CUDA softmax kernels match the CPU's to rounding", "[cuda][functors]") {
  const std::size_t classes = 10, groups = 37;
  const auto z = random_values(classes * groups, 3, -20, 20);
  const auto dy = random_values(classes * groups, 4);
  std::vector<float> y_cpu(z.size()), y_gpu(z.size()), dz_cpu(z.size()), dz_gpu(z.size());
  tg::Cpu::softmax_forward(z.data(), y_cpu.data(), classes, groups);
  run(cu::SoftmaxForward<float>{z.data(), y_gpu.data(), classes}, groups);
  CHECK(equal_to_fma_rounding(y_cpu, y_gpu, 1));
  tg::Cpu::softmax_backward(y_cpu.data(), dy.data(), dz_cpu.data(), classes, groups);
  run(cu::SoftmaxBackward<float>{y_cpu.data(), dy.data(), dz_gpu.data(), classes}, groups);
  CHECK(equal_to_fma_rounding(dz_cpu, dz_gpu, 4));  // dot products: fused or not by the compiler
}

TEST_CASE("CUDA im2col and col2im gather what the CPU scatters, bit for bit", "[cuda][functors]") {
  for (const auto& g : geometries()) {
    const std::size_t n = 3;
    const auto x = random_values(n * g.in_size(), 5);
    std::vector<float> cols_cpu(n * g.out_positions() * g.patch_size(), -1.f);
    auto cols_gpu = cols_cpu;
    tg::Cpu::im2col(g, x.data(), cols_cpu.data(), n);
    run(cu::Im2col<float>{g, x.data(), cols_gpu.data()}, cols_gpu.size());
    CHECK(bitwise_equal(cols_cpu, cols_gpu));

    const auto dcols = random_values(cols_cpu.size(), 6);
    std::vector<float> dx_cpu(x.size(), -1.f), dx_gpu(x.size(), -1.f);
    tg::Cpu::col2im(g, dcols.data(), dx_cpu.data(), n);
    run(cu::Col2im<float>{g, dcols.data(), dx_gpu.data()}, dx_gpu.size());
    CHECK(bitwise_equal(dx_cpu, dx_gpu));
  }
}

TEST_CASE("CUDA pooling kernels match the CPU's, winners and gradients", "[cuda][functors]") {
  for (const auto& g : geometries()) {
    const std::size_t n = 2, outputs = n * g.out_positions() * g.channels;
    const auto x = random_values(n * g.in_size(), 7);
    std::vector<float> y_cpu(outputs), y_gpu(outputs);
    std::vector<std::uint32_t> at_cpu(outputs), at_gpu(outputs);
    tg::Cpu::max_pool_forward(g, x.data(), y_cpu.data(), at_cpu.data(), n);
    run(cu::MaxPoolForward<float>{g, x.data(), y_gpu.data(), at_gpu.data()}, outputs);
    CHECK(bitwise_equal(y_cpu, y_gpu));
    CHECK(at_cpu == at_gpu);

    const auto dy = random_values(outputs, 8);
    std::vector<float> dx_cpu(x.size(), -1.f), dx_gpu(x.size(), -1.f);
    tg::Cpu::max_pool_backward(g, dy.data(), at_cpu.data(), dx_cpu.data(), n);
    run(cu::MaxPoolBackward<float>{g, dy.data(), at_cpu.data(), dx_gpu.data()}, dx_gpu.size());
    CHECK(bitwise_equal(dx_cpu, dx_gpu));

    // Averages multiply and add: equal to the rounding of a fused multiply-add.
    tg::Cpu::avg_pool_forward(g, x.data(), y_cpu.data(), n);
    run(cu::AvgPoolForward<float>{g, x.data(), y_gpu.data()}, outputs);
    CHECK(equal_to_fma_rounding(y_cpu, y_gpu, 2));
    tg::Cpu::avg_pool_backward(g, dy.data(), dx_cpu.data(), n);
    run(cu::AvgPoolBackward<float>{g, dy.data(), dx_gpu.data()}, dx_gpu.size());
    CHECK(equal_to_fma_rounding(dx_cpu, dx_gpu, 2));
    CHECK_FALSE(equal_to_fma_rounding(dx_cpu, std::vector<float>(dx_cpu.size(), 0.f), 2));
  }
  const std::size_t pixels = 49, channels = 6, n = 3;
  const auto x = random_values(n * pixels * channels, 9);
  std::vector<float> y_cpu(n * channels), y_gpu(n * channels);
  tg::Cpu::global_avg_pool_forward(x.data(), y_cpu.data(), pixels, channels, n);
  run(cu::GlobalAvgPoolForward<float>{x.data(), y_gpu.data(), pixels, channels}, n * channels);
  CHECK(bitwise_equal(y_cpu, y_gpu));
  std::vector<float> dx_cpu(x.size()), dx_gpu(x.size());
  tg::Cpu::global_avg_pool_backward(y_cpu.data(), dx_cpu.data(), pixels, channels, n);
  run(cu::GlobalAvgPoolBackward<float>{y_cpu.data(), dx_gpu.data(), pixels, channels}, x.size());
  CHECK(bitwise_equal(dx_cpu, dx_gpu));
}

TEST_CASE("CUDA dropout draws the CPU's masks from integers alone", "[cuda][functors]") {
  const auto x = random_values(10000, 10);
  for (double rate : {0.0, 0.1, 0.25, 0.5, 1.0 / 3.0, 0.9}) {
    std::vector<float> y_cpu(x.size()), m_cpu(x.size()), y_gpu(x.size()), m_gpu(x.size());
    tg::Cpu::dropout_forward(x.data(), y_cpu.data(), m_cpu.data(), x.size(), rate, 77, 1234);
    run(cu::Dropout<float>{x.data(), y_gpu.data(), m_gpu.data(), 77, 1234,
                           cu::dropout_keep_from(rate), float(1.0 / (1.0 - rate))},
        x.size());
    CHECK(bitwise_equal(m_cpu, m_gpu));
    CHECK(bitwise_equal(y_cpu, y_gpu));
  }
  // The threshold is exact at the boundary: a uniform equal to the rate is kept.
  CHECK(cu::dropout_keep_from(0.5) == (std::uint64_t(1) << 52));
  CHECK(cu::dropout_keep_from(0.0) == 0);
}

TEST_CASE("CUDA optimizer steps match the CPU's to rounding", "[cuda][functors]") {
  const std::size_t n = 1000;
  const auto g = random_values(n, 13);
  auto p_cpu = random_values(n, 14), m_cpu = random_values(n, 15, 0, 0.1f),
       v_cpu = random_values(n, 16, 0, 0.1f);
  auto p_gpu = p_cpu, m_gpu = m_cpu, v_gpu = v_cpu;
  tg::Cpu::adam(p_cpu.data(), g.data(), m_cpu.data(), v_cpu.data(), n, 1e-3f, 0.9f, 0.999f, 1e-7f,
                5, 0.01f);
  const float c1 = 1 - float(std::pow(0.9, 5.0)), c2 = 1 - float(std::pow(0.999, 5.0));
  run(cu::AdamStep<float>{p_gpu.data(), g.data(), m_gpu.data(), v_gpu.data(), 0.9f, 0.999f, 1e-7f,
                          1e-3f / c1, 1 / std::sqrt(c2), 1 - 1e-3f * 0.01f},
      n);
  for (std::size_t i = 0; i < n; ++i) {
    REQUIRE(p_gpu[i] == Approx(p_cpu[i]).epsilon(1e-6).margin(1e-8));
    REQUIRE(m_gpu[i] == Approx(m_cpu[i]).epsilon(1e-6).margin(1e-8));
    REQUIRE(v_gpu[i] == Approx(v_cpu[i]).epsilon(1e-6).margin(1e-8));
  }
  auto q_cpu = p_cpu, q_gpu = p_cpu, vel_cpu = m_cpu, vel_gpu = m_cpu;
  tg::Cpu::sgd(q_cpu.data(), g.data(), vel_cpu.data(), n, 0.01f, 0.9f, true);
  run(cu::SgdStep<float>{q_gpu.data(), g.data(), vel_gpu.data(), 0.01f, 0.9f, true}, n);
  for (std::size_t i = 0; i < n; ++i)
    REQUIRE(q_gpu[i] == Approx(q_cpu[i]).epsilon(1e-6).margin(1e-8));
  auto r_cpu = p_cpu, r_gpu = p_cpu, s_cpu = v_cpu, s_gpu = v_cpu, mo_cpu = m_cpu, mo_gpu = m_cpu;
  tg::Cpu::rmsprop(r_cpu.data(), g.data(), s_cpu.data(), mo_cpu.data(), n, 1e-3f, 0.9f, 0.5f,
                   1e-7f);
  run(cu::RmspropStep<float>{r_gpu.data(), g.data(), s_gpu.data(), mo_gpu.data(), 1e-3f, 0.9f, 0.5f,
                             1e-7f},
      n);
  for (std::size_t i = 0; i < n; ++i)
    REQUIRE(r_gpu[i] == Approx(r_cpu[i]).epsilon(1e-6).margin(1e-8));
}

TEST_CASE("CUDA loss, accuracy and guard reductions sum what the CPU sums", "[cuda][functors]") {
  const std::size_t n = 50, classes = 7;
  const auto logits = random_values(n * classes, 17, -5, 5);
  std::vector<float> probabilities(logits.size());
  tg::Cpu::softmax_forward(logits.data(), probabilities.data(), classes, n);
  std::vector<std::int32_t> labels(n);
  for (std::size_t s = 0; s < n; ++s) labels[s] = std::int32_t((s * 5) % classes);

  using Fused = tg::loss::FromLogits<tg::loss::SparseCategoricalCrossentropy>;
  double cpu_loss = 0;
  std::vector<float> grad_cpu(logits.size()), grad_gpu(logits.size());
  tg::Cpu::loss<Fused>(logits.data(), labels.data(), grad_cpu.data(), classes, 1, n, 2 * n,
                       &cpu_loss);
  const double gpu_loss =
      sum(cu::SampleLoss<Fused, float, std::int32_t>{logits.data(), labels.data(), grad_gpu.data(),
                                                     classes, 1, 1.0f / float(2 * n)},
          n);
  CHECK(gpu_loss == cpu_loss);
  CHECK(bitwise_equal(grad_cpu, grad_gpu));

  double cpu_correct = 0;
  tg::Cpu::count_correct<tg::ClassIndex<7>>(probabilities.data(), labels.data(), classes, n, 0.5f,
                                            &cpu_correct);
  CHECK(sum(cu::SampleCorrect<float, std::int32_t>{probabilities.data(), labels.data(),
                                                   tg::LabelKind::class_index, classes, 1, 0.5f},
            n) == cpu_correct);
  CHECK(cpu_correct > 0);

  // Multi-label: fractions of outputs on the right side of the threshold.
  const auto targets = random_values(n * classes, 18, 0, 1);
  double cpu_multi = 0;
  tg::Cpu::count_correct<tg::MultiHot<7>>(probabilities.data(), targets.data(), classes, n, 0.2f,
                                          &cpu_multi);
  CHECK(sum(cu::SampleCorrect<float, float>{probabilities.data(), targets.data(),
                                            tg::LabelKind::multi_hot, classes, classes, 0.2f},
            n) == cpu_multi);
  double cpu_onehot = 0;
  std::vector<float> onehot(n * classes, 0.f);
  for (std::size_t s = 0; s < n; ++s) onehot[s * classes + std::size_t(labels[s])] = 1;
  tg::Cpu::count_correct<tg::OneHot<7>>(probabilities.data(), onehot.data(), classes, n, 0.5f,
                                        &cpu_onehot);
  CHECK(sum(cu::SampleCorrect<float, float>{probabilities.data(), onehot.data(),
                                            tg::LabelKind::one_hot, classes, classes, 0.5f},
            n) == cpu_onehot);
  CHECK(cpu_onehot == cpu_correct);

  double squares = 0, difference = 0, outside = 0;
  tg::Cpu::sum_squares(logits.data(), logits.size(), &squares);
  CHECK(sum(cu::SquareOf<float>{logits.data()}, logits.size()) == squares);
  tg::Cpu::sum_squared_difference(logits.data(), probabilities.data(), logits.size(), &difference);
  CHECK(sum(cu::SquaredDifference<float>{logits.data(), probabilities.data()}, logits.size()) ==
        difference);
  tg::Cpu::count_outside(logits.data(), logits.size(), -1.f, 1.f, &outside);
  CHECK(sum(cu::Outside<float>{logits.data(), -1.f, 1.f}, logits.size()) == outside);

  std::vector<double> flags_cpu(classes, 0), flags_gpu(classes, 0);
  const auto relu = random_values(n * classes, 19, -3, 0.05f);
  tg::Cpu::mark_active(relu.data(), relu.size(), classes, flags_cpu.data());
  run(cu::MarkActive<float>{relu.data(), classes, flags_gpu.data()}, relu.size());
  CHECK(flags_cpu == flags_gpu);
}

TEST_CASE("CUDA batch-normalisation inference and bias kernels match the CPU's",
          "[cuda][functors]") {
  const std::size_t channels = 5, rows = 40;
  const auto x = random_values(channels * rows, 20);
  const auto gamma = random_values(channels, 21), beta = random_values(channels, 22);
  const auto mean = random_values(channels, 23), var = random_values(channels, 24, 0.1f, 2);
  std::vector<float> y_cpu(x.size()), y_gpu(x.size());
  tg::Cpu::batchnorm_forward_inference(x.data(), y_cpu.data(), gamma.data(), beta.data(),
                                       mean.data(), var.data(), channels, rows, 1e-3f);
  run(cu::BatchNormInference<float>{x.data(), y_gpu.data(), gamma.data(), beta.data(), mean.data(),
                                    var.data(), channels, 1e-3f},
      x.size());
  CHECK(bitwise_equal(y_cpu, y_gpu));

  std::vector<float> filled_cpu(x.size()), filled_gpu(x.size());
  tg::Cpu::fill_columns(filled_cpu.data(), gamma.data(), channels, rows);
  run(cu::BiasColumns<float, false>{filled_gpu.data(), gamma.data(), channels}, x.size());
  CHECK(bitwise_equal(filled_cpu, filled_gpu));
  auto biased_cpu = x, biased_gpu = x;
  tg::Cpu::add_bias(biased_cpu.data(), beta.data(), channels, rows);
  run(cu::BiasColumns<float, true>{biased_gpu.data(), beta.data(), channels}, x.size());
  CHECK(bitwise_equal(biased_cpu, biased_gpu));
}

TEST_CASE("CUDA row gathers and split-GEMM sums compute what the host does", "[cuda][functors]") {
  const std::size_t width = 6, rows = 9;
  const auto src = random_values(width * rows, 30);
  const std::vector<std::uint32_t> order = {8, 0, 3, 3, 7};
  std::vector<float> gathered(order.size() * width), expected;
  run(cu::GatherRows<float>{src.data(), order.data(), gathered.data(), width}, gathered.size());
  for (auto r : order)
    expected.insert(expected.end(), src.begin() + r * width, src.begin() + (r + 1) * width);
  CHECK(gathered == expected);

  // Three 2 x 3 partial products summed into a 2 x 3 block of a matrix with leading dimension 4.
  const std::size_t m = 2, n = 3, ldc = 4, slices = 3;
  const auto partial = random_values(slices * m * n, 31);
  auto c = random_values(ldc * n, 32);
  const auto before = c;
  run(cu::SumSlices<float>{partial.data(), slices, m, n, c.data(), ldc, 0.5f}, m * n);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < ldc; ++i) {
      if (i >= m) {
        CHECK(c[j * ldc + i] == before[j * ldc + i]);  // outside the block: untouched
        continue;
      }
      float sum = 0;
      for (std::size_t s = 0; s < slices; ++s) sum += partial[s * m * n + j * m + i];
      CHECK(c[j * ldc + i] == Approx(0.5f * before[j * ldc + i] + sum).epsilon(1e-6));
    }
}
