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

  std::size_t lda() const { return (transpose_a ? k : m) + pad; }
  std::size_t ldb() const { return (transpose_b ? n : k) + pad; }
  std::size_t ldc() const { return m + pad; }

  // The largest difference from the reference, relative to the sum of |terms| of the entry.
  double worst_error(tg::Cpu& backend, tg::Rng& rng) const {
    std::vector<T> a(lda() * (transpose_a ? m : k)), b(ldb() * (transpose_b ? k : n)), c(ldc() * n);
    for (auto& v : a) v = T(rng.uniform(-1.0, 1.0));
    for (auto& v : b) v = T(rng.uniform(-1.0, 1.0));
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
           " alpha=" + std::to_string(alpha) + " beta=" + std::to_string(beta);
  }
};

template <class T>
void check_products(tg::Cpu& backend, double tolerance) {
  tg::Rng rng(7);
  // Rows and inner lengths around the kernel's tile edges (8, 16, 32 and 64 values) and its
  // 256-long inner blocks; columns around its 6, 12, 14 and 24-column tiles.
  const std::size_t rows[] = {1, 7, 9, 16, 17, 33, 64, 65, 144};
  const std::size_t columns[] = {1, 2, 13, 14, 25, 49};
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
