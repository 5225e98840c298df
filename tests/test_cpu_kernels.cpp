// The CPU backend's matrix products against a plain triple loop in double: every path the
// backend picks by shape (Eigen's GEMM, the register-blocked kernel for convolution shapes with
// its row and column edges, the matrix-vector product for one column, the thread splits), both
// transposes, alpha and beta, padded leading dimensions. Built twice: for the baseline CPU and
// for this machine's (-march=native), whose wider vectors change the kernel's tiles.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <tensorguard/backend/cpu.hpp>
#include <tensorguard/core/random.hpp>
#include <vector>

namespace tg = tensorguard;

namespace {

template <class T>
struct Product {
  std::size_t m, n, k;
  bool transpose_a, transpose_b;
  T alpha, beta;
  std::size_t pad = 3;  // leading dimensions longer than the rows they hold
  double zeros = 0;     // the share of B's entries set to zero (ReLU outputs, image backgrounds)

  std::size_t lda() const { return (transpose_a ? k : m) + pad; }
  std::size_t ldb() const { return (transpose_b ? n : k) + pad; }
  std::size_t ldc() const { return m + pad; }

  // The largest difference from the reference, relative to the sum of |terms| of the entry.
  double worst_error(tg::Cpu& backend, tg::Rng& rng) const {
    std::vector<T> a(lda() * (transpose_a ? m : k)), b(ldb() * (transpose_b ? k : n)), c(ldc() * n);
    for (auto& v : a) v = T(rng.uniform(-1.0, 1.0));
    for (auto& v : b) v = rng.uniform(0.0, 1.0) < zeros ? T(0) : T(rng.uniform(-1.0, 1.0));
    for (auto& v : c) v = T(rng.uniform(-1.0, 1.0));
    const std::vector<T> c0 = c;
    auto A = [&](std::size_t i, std::size_t p) {
      return double(transpose_a ? a[i * lda() + p] : a[p * lda() + i]);
    };
    auto B = [&](std::size_t p, std::size_t j) {
      return double(transpose_b ? b[p * ldb() + j] : b[j * ldb() + p]);
    };
    using Op = tg::Cpu::Op;
    backend.gemm(transpose_a ? Op::transpose : Op::none, transpose_b ? Op::transpose : Op::none, m,
                 n, k, alpha, a.data(), lda(), b.data(), ldb(), beta, c.data(), ldc());
    double worst = 0;
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t i = 0; i < m; ++i) {
        double sum = 0, magnitude = std::abs(double(beta) * double(c0[j * ldc() + i]));
        for (std::size_t p = 0; p < k; ++p) {
          sum += A(i, p) * B(p, j);
          magnitude += std::abs(double(alpha) * A(i, p) * B(p, j));
        }
        const double expected = double(alpha) * sum + double(beta) * double(c0[j * ldc() + i]);
        worst = std::max(worst, std::abs(double(c[j * ldc() + i]) - expected) / (magnitude + 1));
      }
      // The padding between columns is not C's: it stays as it was.
      for (std::size_t i = m; i < ldc(); ++i)
        if (c[j * ldc() + i] != c0[j * ldc() + i]) return 1e30;
    }
    return worst;
  }
  std::string describe() const {
    return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k) +
           (transpose_a ? " A^T" : " A") + (transpose_b ? " B^T" : " B") +
           " alpha=" + std::to_string(alpha) + " beta=" + std::to_string(beta) +
           " zeros=" + std::to_string(zeros);
  }
};

template <class T>
void check_products(tg::Cpu& backend, double tolerance) {
  tg::Rng rng(7);
  // Rows and inner lengths around the kernel's tile edges (8, 16, 32 and 64 values) and its
  // 256-long inner blocks; columns around its 6, 12, 14 and 24-column tiles and the 4- and
  // 8-column tiles of the last columns (18, 22, 32, 40: 14 + 4, 14 + 8, 14 + 14 + 4 or 24 + 8,
  // 24 + 16), and fewer than 14 (Eigen's).
  const std::size_t rows[] = {1, 7, 9, 16, 17, 33, 64, 65, 144};
  const std::size_t columns[] = {1, 2, 4, 5, 9, 13, 14, 18, 22, 25, 32, 40, 49};
  const std::size_t inner[] = {1, 9, 64, 257, 600};
  int checked = 0;
  for (std::size_t m : rows)
    for (std::size_t n : columns)
      for (std::size_t k : inner) {
        if (m * n * k > 2'000'000) continue;
        for (int ops = 0; ops < 4; ++ops) {
          const T alpha = ops == 1 ? T(0.5) : T(1);
          const T beta = ops == 2 ? T(0) : ops == 3 ? T(-2) : T(1);
          const Product<T> p{m, n, k, (ops & 1) != 0, (ops & 2) != 0, alpha, beta};
          INFO(p.describe());
          REQUIRE(p.worst_error(backend, rng) < tolerance);
          ++checked;
        }
      }
  CHECK(checked > 700);
  // One sample through a Dense layer whose input is partly zero: the product of the nonzero
  // columns alone (from a quarter of zeros, 32 rows and up; rows in blocks of 64 floats or
  // 32 doubles, columns four at a time), and the plain one below those bounds.
  for (const double zeros : {0.0, 0.2, 0.3, 0.5, 0.9, 1.0})
    for (const std::size_t m : {31, 32, 70, 128, 300})
      for (const std::size_t k : {1, 5, 257, 784})
        for (int ops = 0; ops < 8; ++ops) {
          Product<T> p{m,
                       1,
                       k,
                       (ops & 1) != 0,
                       (ops & 2) != 0,
                       ops & 4 ? T(0.5) : T(1),
                       ops & 4 ? T(-2) : T(1)};
          p.zeros = zeros;
          INFO(p.describe());
          REQUIRE(p.worst_error(backend, rng) < tolerance);
        }
  // A Dense layer's product: hundreds of rows, a long inner dimension (blocks of 256 of each).
  for (int ops = 0; ops < 4; ++ops) {
    const Product<T> p{300, 30, 700, (ops & 1) != 0, (ops & 2) != 0, T(1), T(1)};
    INFO(p.describe());
    REQUIRE(p.worst_error(backend, rng) < tolerance);
  }
}

}  // namespace

TEST_CASE("Cpu::gemm equals the plain product on every shape path, in float and double") {
  tg::Cpu one_thread(1);
  SECTION("float") { check_products<float>(one_thread, 1e-6); }
  SECTION("double") { check_products<double>(one_thread, 1e-14); }
}

TEST_CASE("Cpu::gemm split across two threads equals the plain product") {
  tg::Cpu two_threads(2);
  tg::Rng rng(11);
  // Split by columns (wide C), and by the inner dimension (a weight gradient: narrow C).
  for (const Product<float>& p : {Product<float>{32, 2000, 144, false, false, 1.0f, 1.0f},
                                  Product<float>{16, 144, 20000, false, true, 1.0f, 1.0f},
                                  Product<float>{288, 500, 32, true, false, 1.0f, 0.0f},
                                  Product<float>{200, 300, 150, true, true, 0.5f, 1.0f}}) {
    INFO(p.describe());
    CHECK(p.worst_error(two_threads, rng) < 1e-6);
  }
}

namespace {

// The convolution through the patch matrix, as the layers compute it elsewhere: y += W cols.
template <class T>
std::vector<T> convolve_via_patches(tg::Cpu& cpu, const tg::WindowGeometry& g,
                                    const std::vector<T>& w, const std::vector<T>& x,
                                    std::vector<T> y, std::size_t filters, std::size_t n) {
  std::vector<T> cols(n * g.patch_size() * g.out_positions());
  cpu.im2col(g, x.data(), cols.data(), n);
  cpu.gemm(tg::Cpu::Op::none, tg::Cpu::Op::none, filters, n * g.out_positions(), g.patch_size(),
           T(1), w.data(), filters, cols.data(), g.patch_size(), T(1), y.data(), filters);
  return y;
}
// dx = col2im(W^T dz).
template <class T>
std::vector<T> input_gradient_via_patches(tg::Cpu& cpu, const tg::WindowGeometry& g,
                                          const std::vector<T>& w, const std::vector<T>& dz,
                                          std::size_t filters, std::size_t n) {
  std::vector<T> dcols(n * g.patch_size() * g.out_positions()), dx(n * g.in_size());
  cpu.gemm(tg::Cpu::Op::transpose, tg::Cpu::Op::none, g.patch_size(), n * g.out_positions(),
           filters, T(1), w.data(), filters, dz.data(), filters, T(0), dcols.data(),
           g.patch_size());
  cpu.col2im(g, dcols.data(), dx.data(), n);
  return dx;
}

// dw += dz cols^T, the weight gradient through the patch matrix.
template <class T>
std::vector<T> weight_gradient_via_patches(tg::Cpu& cpu, const tg::WindowGeometry& g,
                                           const std::vector<T>& x, const std::vector<T>& dz,
                                           std::vector<T> dw, std::size_t filters, std::size_t n) {
  std::vector<T> cols(n * g.patch_size() * g.out_positions());
  cpu.im2col(g, x.data(), cols.data(), n);
  cpu.gemm(tg::Cpu::Op::none, tg::Cpu::Op::transpose, filters, g.patch_size(),
           n * g.out_positions(), T(1), dz.data(), filters, cols.data(), g.patch_size(), T(1),
           dw.data(), filters);
  return dw;
}

// The largest difference, relative to the reference's largest magnitude (at least 1): Winograd's
// transforms round differently from a GEMM, by a few float epsilons of the outputs' scale.
template <class T>
double largest_difference(const std::vector<T>& a, const std::vector<T>& reference) {
  double worst = a.size() == reference.size() ? 0.0 : 1e30, scale = 1.0;
  for (std::size_t i = 0; i < std::min(a.size(), reference.size()); ++i) {
    worst = std::max(worst, std::abs(double(a[i]) - double(reference[i])));
    scale = std::max(scale, std::abs(double(reference[i])));
  }
  return worst / scale;
}

template <class T>
void check_direct_convolutions(double tolerance) {
  tg::Cpu cpu(1);
  tg::Rng rng(5);
  struct Case {
    std::size_t h, w, channels, kh, kw, filters;
    tg::Padding padding;
  };
  // Kernels square and not, odd and even (Same pads the extra pixel after), larger than some
  // images; channel and filter counts around the kernel's 16/32-row tiles; widths around its
  // 14/24-column tiles.
  const Case cases[] = {
      {28, 28, 1, 3, 3, 16, tg::Padding::same},
      {28, 28, 16, 3, 3, 16, tg::Padding::same},
      {14, 14, 32, 3, 3, 32, tg::Padding::same},
      {13, 11, 3, 3, 3, 17, tg::Padding::valid},
      {9, 7, 5, 5, 5, 8, tg::Padding::same},
      {6, 30, 40, 1, 3, 33, tg::Padding::same},
      {10, 10, 2, 2, 2, 65, tg::Padding::same},
      {8, 9, 7, 4, 2, 1, tg::Padding::valid},
      {3, 3, 4, 5, 5, 6, tg::Padding::same},
      {26, 25, 9, 7, 1, 20, tg::Padding::valid},
      {5, 5, 300, 3, 3, 12, tg::Padding::same},
      // 3x3 with 16 or more channels and filters and 64 or more outputs per call (Winograd in
      // float, F(4x4) on 28 x 28 and 31 x 30, F(2x2) on the rest): output sizes that leave the last
      // row or column of tiles partly outside, channels past a vector, filters past one and two row
      // tiles.
      {15, 13, 16, 3, 3, 20, tg::Padding::same},
      {17, 19, 16, 3, 3, 40, tg::Padding::valid},
      {28, 28, 16, 3, 3, 64, tg::Padding::same},
      {31, 30, 16, 3, 3, 24, tg::Padding::same},
      {33, 32, 17, 3, 3, 33, tg::Padding::valid},
  };
  for (const Case& c : cases) {
    const auto g = tg::make_window_geometry(c.h, c.w, c.channels, c.kh, c.kw, 1, 1, c.padding);
    const std::size_t n = 3, f = c.filters;
    INFO(c.h << "x" << c.w << "x" << c.channels << " kernel " << c.kh << "x" << c.kw << ", " << f
             << " filters, " << (c.padding == tg::Padding::same ? "Same" : "Valid"));
    std::vector<T> w(f * g.patch_size()), x(n * g.in_size()), y0(n * g.out_positions() * f),
        dz(y0.size());
    for (auto* v : {&w, &x, &y0, &dz})
      for (auto& e : *v) e = T(rng.uniform(-1.0, 1.0));
    std::vector<T> y = y0;
    cpu.convolve(g, w.data(), x.data(), y.data(), f, n);
    CHECK(largest_difference(y, convolve_via_patches(cpu, g, w, x, y0, f, n)) < tolerance);
    std::vector<T> dx(x.size(), T(7));  // overwritten, not added to
    cpu.convolve_input_gradient(g, w.data(), dz.data(), dx.data(), f, n);
    CHECK(largest_difference(dx, input_gradient_via_patches(cpu, g, w, dz, f, n)) < tolerance);
    std::vector<T> dw0(w.size());  // added to: gradients add up over micro-batches
    for (auto& e : dw0) e = T(rng.uniform(-1.0, 1.0));
    std::vector<T> dw = dw0;
    cpu.convolve_weight_gradient(g, x.data(), dz.data(), dw.data(), f, n);
    CHECK(largest_difference(dw, weight_gradient_via_patches(cpu, g, x, dz, dw0, f, n)) <
          tolerance);
  }
}

}  // namespace

TEST_CASE(
    "Direct stride-1 convolutions equal the patch-matrix ones: forward, input and weight "
    "gradients") {
  SECTION("float") { check_direct_convolutions<float>(2e-5); }
  SECTION("double") { check_direct_convolutions<double>(1e-12); }
}

namespace {
// A square pooling window over an h x w x c image.
struct PoolCase {
  std::size_t h, w, c, kernel, stride;
  tg::Padding padding;
  tg::WindowGeometry geometry() const {
    return tg::make_window_geometry(h, w, c, kernel, kernel, stride, stride, padding);
  }
};
}  // namespace

TEST_CASE("Max pooling's gradient goes to each window's winner and nowhere else") {
  // Windows that tile the image (the band path), with rows and columns no window covers, and
  // overlapping or padded windows (zero and scatter); random inputs, so winners fall anywhere.
  const PoolCase cases[] = {
      {28, 28, 16, 2, 2, tg::Padding::valid}, {7, 9, 3, 2, 2, tg::Padding::valid},
      {9, 7, 5, 3, 3, tg::Padding::valid},    {7, 7, 4, 2, 2, tg::Padding::same},
      {8, 8, 2, 3, 1, tg::Padding::same},     {6, 5, 3, 3, 2, tg::Padding::valid}};
  tg::Cpu cpu(1);
  tg::Rng rng(5);
  for (const PoolCase& k : cases) {
    CAPTURE(k.h, k.w, k.c, k.kernel, k.stride);
    const auto g = k.geometry();
    const std::size_t n = 3, outputs = g.out_positions() * k.c;
    std::vector<float> x(n * g.in_size()), y(n * outputs), dy(n * outputs);
    for (auto& v : x) v = float(rng.uniform(-1.0, 1.0));
    for (auto& v : dy) v = float(rng.uniform(-1.0, 1.0));
    std::vector<std::uint32_t> winners(n * outputs);
    cpu.max_pool_forward(g, x.data(), y.data(), winners.data(), n);
    std::vector<double> expected(x.size(), 0.0);
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t i = 0; i < outputs; ++i) {
        const std::size_t at = s * g.in_size() + winners[s * outputs + i];
        REQUIRE(x[at] == y[s * outputs + i]);  // the winner holds the window's maximum
        expected[at] += dy[s * outputs + i];
      }
    std::vector<float> dx(x.size(), 7.0f);  // overwritten, not added to
    cpu.max_pool_backward(g, dy.data(), winners.data(), dx.data(), n);
    double worst = 0;
    for (std::size_t i = 0; i < dx.size(); ++i)
      worst = std::max(worst, std::abs(double(dx[i]) - expected[i]));
    CHECK(worst < 1e-6);
  }
}

TEST_CASE("Max pooling takes each window's maximum, the first one on ties, as in window order") {
  // Channel counts around the float vector (16): whole vectors, vectors and a tail, a tail only;
  // windows inside the image and windows clipped by Same padding (never won by the padding).
  // Values from {-1, 0, 1}: most windows hold ties, and -1 stays below the padding's nothing.
  const PoolCase cases[] = {
      {28, 28, 16, 2, 2, tg::Padding::valid}, {14, 14, 20, 2, 2, tg::Padding::valid},
      {9, 8, 33, 3, 2, tg::Padding::valid},   {6, 6, 7, 3, 1, tg::Padding::valid},
      {5, 7, 32, 2, 1, tg::Padding::valid},   {28, 28, 1, 3, 1, tg::Padding::same},
      {7, 9, 17, 3, 1, tg::Padding::same},    {7, 7, 16, 2, 2, tg::Padding::same},
      {8, 5, 3, 5, 2, tg::Padding::same}};
  tg::Cpu cpu(1);
  tg::Rng rng(9);
  for (const PoolCase& k : cases) {
    CAPTURE(k.h, k.w, k.c, k.kernel, k.stride, k.padding == tg::Padding::same);
    const auto g = k.geometry();
    const std::size_t n = 2, outputs = g.out_positions() * k.c;
    std::vector<float> x(n * g.in_size()), y(n * outputs);
    for (auto& v : x) v = float(rng.below(3)) - 1.0f;
    std::vector<std::uint32_t> winners(n * outputs);
    cpu.max_pool_forward(g, x.data(), y.data(), winners.data(), n);
    std::size_t wrong = 0;
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t oy = 0; oy < g.out_h; ++oy)
        for (std::size_t ox = 0; ox < g.out_w; ++ox)
          for (std::size_t c = 0; c < k.c; ++c) {
            std::size_t best = 0;
            bool first = true;
            for (std::size_t ky = 0; ky < k.kernel; ++ky)
              for (std::size_t kx = 0; kx < k.kernel; ++kx) {
                const auto iy = std::ptrdiff_t(oy * k.stride + ky) - std::ptrdiff_t(g.pad_top);
                const auto ix = std::ptrdiff_t(ox * k.stride + kx) - std::ptrdiff_t(g.pad_left);
                if (iy < 0 || ix < 0 || iy >= std::ptrdiff_t(k.h) || ix >= std::ptrdiff_t(k.w))
                  continue;
                const std::size_t at = (std::size_t(iy) * k.w + std::size_t(ix)) * k.c + c;
                if (first || x[s * g.in_size() + at] > x[s * g.in_size() + best]) best = at;
                first = false;
              }
            const std::size_t out = s * outputs + (oy * g.out_w + ox) * k.c + c;
            wrong += first || winners[out] != best || y[out] != x[s * g.in_size() + best];
          }
    CHECK(wrong == 0);
  }
}

TEST_CASE("Winograd's kept kernel transforms follow the weights they were made from") {
  // One 14 x 14 image through 3x3 layers of 32 channels takes Winograd's path with the kernel's
  // transform kept between calls: each call must compute with the weights it is given, whether
  // they are the same array changed in place, another layer's, or the input gradient's.
  tg::Cpu cpu(1);
  tg::Rng rng(9);
  const auto g = tg::make_window_geometry(14, 14, 32, 3, 3, 1, 1, tg::Padding::same);
  const std::size_t f = 32, n = 1;
  auto random = [&](std::size_t size) {
    std::vector<float> v(size);
    for (auto& e : v) e = float(rng.uniform(-1.0, 1.0));
    return v;
  };
  std::vector<float> first = random(f * g.patch_size()), second = random(f * g.patch_size());
  const std::vector<float> x = random(g.in_size()), dz = random(g.out_positions() * f);
  const std::vector<float> zeros(g.out_positions() * f, 0.0f);
  auto forward = [&](std::vector<float>& w) {
    std::vector<float> y = zeros;
    cpu.convolve(g, w.data(), x.data(), y.data(), f, n);
    return largest_difference(y, convolve_via_patches(cpu, g, w, x, zeros, f, n));
  };
  auto backward = [&](std::vector<float>& w) {
    std::vector<float> dx(x.size());
    cpu.convolve_input_gradient(g, w.data(), dz.data(), dx.data(), f, n);
    return largest_difference(dx, input_gradient_via_patches(cpu, g, w, dz, f, n));
  };
  CHECK(forward(first) < 2e-5);
  CHECK(forward(first) < 2e-5);  // the kept transform
  first[7] += 0.5f;              // one weight changed in place, as a training step does
  CHECK(forward(first) < 2e-5);
  CHECK(forward(second) < 2e-5);  // another layer
  CHECK(forward(first) < 2e-5);
  CHECK(backward(first) < 2e-5);  // the same weights, transposed and flipped
  first.assign(first.size(), 0.25f);
  CHECK(forward(first) < 2e-5);
  CHECK(backward(first) < 2e-5);
}
