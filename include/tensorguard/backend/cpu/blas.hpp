// Dense linear algebra on the CPU: Eigen maps over the library's buffers (column-major).
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../../core/buffer.hpp"
#include "../../detail/config.hpp"
#include "small_gemm.hpp"
#include "threads.hpp"

namespace tensorguard::cpu {

enum class Op { none, transpose };

namespace detail {
// Eigen's GEMM packs blocks of A and B into scratch memory, on the heap for large products. We
// hand it scratch the backend keeps, so a training step allocates nothing after the first.
template <class T>
struct PersistentBlocking : Eigen::internal::level3_blocking<T, T> {
  void prepare(Eigen::Index m, Eigen::Index n, Eigen::Index k, Buffer<T>& a, Buffer<T>& b) {
    this->m_mc = m;
    this->m_nc = n;
    this->m_kc = k;
    Eigen::internal::computeProductBlockingSizes<T, T, 1>(this->m_kc, this->m_mc, this->m_nc,
                                                          Eigen::Index(1));
    a.resize(std::max<std::size_t>(a.size(), std::size_t(this->m_mc * this->m_kc)));
    b.resize(std::max<std::size_t>(b.size(), std::size_t(this->m_kc * this->m_nc)));
    this->m_blockA = a.data();
    this->m_blockB = b.data();
  }
};
}  // namespace detail

struct Blas {
  Blas() = default;
  explicit Blas(unsigned threads) : pool_(threads) {}

  // C (m x n) = alpha * op(A) * op(B) + beta * C, all column-major with leading dimensions.
  // With several threads, large products are split by columns of C or, when C is narrow (a
  // convolution's weight gradient), by the inner dimension with partial sums added at the end.
  template <class T>
  void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
            std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc);

  unsigned threads() const { return pool_.size(); }
  // Threads the backend may use (default: TG_THREADS, else 1).
  void set_threads(unsigned n) { pool_.resize(std::min<unsigned>(std::max(n, 1u), max_parts)); }
  // job(part) for each part in [0, parts) on the backend's threads, parts <= threads(). The
  // model runs its data-parallel replicas with it; a job must not call this backend's ops.
  template <class Job>
  void run_parts(unsigned parts, Job& job) {
    pool_.run(parts, job);
  }

  static constexpr unsigned max_parts = WorkerPool::max_threads;
  // Products with at most this many rows, or this long an inner dimension, take the
  // register-blocked kernel rather than Eigen's.
  static constexpr std::size_t small_gemm_limit = 64;

 protected:
  WorkerPool pool_{WorkerPool::default_threads()};

 private:
  template <class T>
  void gemm_serial(unsigned part, Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k,
                   T alpha, const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
                   std::size_t ldc) {
    using Eigen::Index;
    if (beta == T(0)) {
      for (std::size_t j = 0; j < n; ++j) std::fill_n(c + j * ldc, m, T(0));
    } else if (beta != T(1)) {
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t i = 0; i < m; ++i) c[j * ldc + i] *= beta;
    }
    if (m == 0 || n == 0 || k == 0) return;
    auto& ws = workspace<T>(part);
    // One column (a single sample through a Dense layer): a matrix-vector product streams A
    // once, where the GEMM would first copy all of A into its packed layout.
    if (n == 1) {
      if (op_a == Op::none && op_b == Op::none && m >= sparse_vector_rows &&
          product_of_nonzeros(m, k, alpha, a, lda, b, c, ws))
        return;
      using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
      using Stride = Eigen::InnerStride<Eigen::Dynamic>;
      Eigen::Map<const Vec, 0, Stride> x(b, Index(k), Stride(op_b == Op::none ? 1 : Index(ldb)));
      Eigen::Map<Vec> y(c, Index(m));
      using Outer = Eigen::OuterStride<Eigen::Dynamic>;
      if (op_a == Op::none)
        y.noalias() += alpha *
                       Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>, 0, Outer>(
                           a, Index(m), Index(k), Outer(Index(lda))) *
                       x;
      else
        y.noalias() +=
            alpha *
            Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
                       Outer>(a, Index(m), Index(k), Outer(Index(lda))) *
            x;
      return;
    }
    // Convolution shapes (few rows, or a short inner dimension) and Dense layers' products up
    // to a few hundred rows: the register-blocked kernel, faster there than Eigen's (see
    // docs/performance.md, "The GEMM kernel"); Eigen's for large squares and thin products.
    if (small_gemm::suits<T>(m, n) &&
        (std::min(m, k) <= small_gemm_limit || (op_a == Op::none && m <= 512 && k <= 2048))) {
      ws.a.resize(std::max(ws.a.size(), small_gemm::scratch_size<T>(m, k)));
      const std::size_t a_row = op_a == Op::none ? 1 : lda, a_col = op_a == Op::none ? lda : 1;
      const std::size_t b_row = op_b == Op::none ? 1 : ldb, b_col = op_b == Op::none ? ldb : 1;
      if (m <= small_gemm::lanes<T>)
        small_gemm::multiply<T, 1>(m, n, k, alpha, a, a_row, a_col, b, b_row, b_col, c, ldc,
                                   ws.a.data());
      else
        small_gemm::multiply<T, 2>(m, n, k, alpha, a, a_row, a_col, b, b_row, b_col, c, ldc,
                                   ws.a.data());
      return;
    }
    detail::PersistentBlocking<T> blocking;
    blocking.prepare(Index(m), Index(n), Index(k), ws.a, ws.b);
    // A transposed column-major matrix is the same memory read row-major.
    auto run = [&]<int OrderA, int OrderB>() {
      Eigen::internal::general_matrix_matrix_product<Index, T, OrderA, false, T, OrderB, false,
                                                     Eigen::ColMajor, 1>::run(Index(m), Index(n),
                                                                              Index(k), a,
                                                                              Index(lda), b,
                                                                              Index(ldb), c, 1,
                                                                              Index(ldc), alpha,
                                                                              blocking, nullptr);
    };
    constexpr int col = Eigen::ColMajor, row = Eigen::RowMajor;
    if (op_a == Op::none && op_b == Op::none)
      run.template operator()<col, col>();
    else if (op_a == Op::none)
      run.template operator()<col, row>();
    else if (op_b == Op::none)
      run.template operator()<row, col>();
    else
      run.template operator()<row, row>();
  }

  // Packing scratch per part (thread), and partial sums for inner-dimension splits.
  template <class T>
  struct Workspace {
    Buffer<T> a, b, partial;
    Buffer<T> nonzero_values;  // a vector's nonzero entries and where they are (one column)
    Buffer<std::uint32_t> nonzero_at;
  };

  // A matrix-vector product y += alpha A x that reads only the columns of A where x is nonzero:
  // a ReLU layer's outputs, and images with a background, are often half zeros, and one sample
  // through a Dense layer is bound by reading A. Returns false (nothing done) when a quarter or
  // less of x is zero: the plain product is then as fast. (A skipped column holding Inf or NaN
  // would have given NaN; weights like that are the training guards' to stop.) Columns of at
  // least this many rows.
  static constexpr std::size_t sparse_vector_rows = 32;
  template <class T>
  static bool product_of_nonzeros(std::size_t m, std::size_t k, T alpha, const T* a,
                                  std::size_t lda, const T* x, T* y, Workspace<T>& ws) {
    std::size_t zeros = 0;
    for (std::size_t j = 0; j < k; ++j) zeros += x[j] == T(0);  // vectorises: a cheap test
    if (4 * zeros <= k) return false;
    ws.nonzero_values.resize(std::max(ws.nonzero_values.size(), k));
    ws.nonzero_at.resize(std::max(ws.nonzero_at.size(), k));
    T* values = ws.nonzero_values.data();
    std::uint32_t* at = ws.nonzero_at.data();
    std::size_t count = 0;
    for (std::size_t j = 0; j < k; ++j) {  // branch-free: zeros are not predictable
      values[count] = alpha * x[j];
      at[count] = std::uint32_t(j);
      count += x[j] != T(0);
    }
    // Four vectors of rows held in registers across the columns, four columns at a time (written
    // with vector types, so that the register use does not depend on the optimisation level: a
    // plain loop over a local array compiled at -O3 took 24 us where -O2 took 8.5). Block size,
    // measured with that loop at -O2 on one Fashion-MNIST image through the deep MLP: four
    // AVX-512 vectors 7.9-8.1 us, two 8.6, eight 8.8-9.0, sixteen 12.7 (spilled); this form at
    // -O3: 6.7-6.9 us.
    using V = typename small_gemm::VectorOf<T>::type;
    constexpr std::size_t L = small_gemm::lanes<T>, block = 4 * L;
    auto load = [](const T* p) {
      V v;
      std::memcpy(&v, p, sizeof v);
      return v;
    };
    std::size_t i0 = 0;
    for (; i0 + block <= m; i0 += block) {
      V sum[4] = {};
      std::size_t q = 0;
      for (; q + 4 <= count; q += 4) {
        const T *c0 = a + at[q] * lda + i0, *c1 = a + at[q + 1] * lda + i0,
                *c2 = a + at[q + 2] * lda + i0, *c3 = a + at[q + 3] * lda + i0;
        const T v0 = values[q], v1 = values[q + 1], v2 = values[q + 2], v3 = values[q + 3];
        TG_UNROLL(4)
        for (std::size_t r = 0; r < 4; ++r)
          sum[r] += v0 * load(c0 + r * L) + v1 * load(c1 + r * L) + v2 * load(c2 + r * L) +
                    v3 * load(c3 + r * L);
      }
      for (; q < count; ++q) {
        TG_UNROLL(4)
        for (std::size_t r = 0; r < 4; ++r)
          sum[r] += values[q] * load(a + at[q] * lda + i0 + r * L);
      }
      TG_UNROLL(4)
      for (std::size_t r = 0; r < 4; ++r) {
        const V out = load(y + i0 + r * L) + sum[r];
        std::memcpy(y + i0 + r * L, &out, sizeof out);
      }
    }
    for (; i0 < m; ++i0) {  // the rows after the last whole block
      T sum = 0;
      for (std::size_t q = 0; q < count; ++q) sum += values[q] * a[at[q] * lda + i0];
      y[i0] += sum;
    }
    return true;
  }
  template <class T>
  Workspace<T>& workspace(unsigned part) {
    if constexpr (std::is_same_v<T, float>)
      return float_workspace_[part];
    else
      return double_workspace_[part];
  }
  Workspace<float> float_workspace_[max_parts];
  Workspace<double> double_workspace_[max_parts];

 public:
  // Y(:, j) = bias for every column j: the starting value of a GEMM with beta 1, which saves
  // the separate zeroing and bias passes over the output.
  template <class T>
  static void fill_columns(T* y, const T* bias, std::size_t rows, std::size_t cols) {
    for (std::size_t j = 0; j < cols; ++j) std::copy_n(bias, rows, y + j * rows);
  }
  // Y(:, j) += bias for every column j of the rows x cols matrix Y.
  template <class T>
  static void add_bias(T* y, const T* bias, std::size_t rows, std::size_t cols) {
    using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    Eigen::Map<Mat> Y(y, Eigen::Index(rows), Eigen::Index(cols));
    Y.colwise() += Eigen::Map<const Vec>(bias, Eigen::Index(rows));
  }

  // db += sum of the columns of dY (rows x cols): one streaming pass, contiguous columns added
  // into the running sum (Eigen's rowwise().sum() walks this layout far slower).
  template <class T>
  static void add_column_sums(const T* __restrict dy, std::size_t rows, std::size_t cols,
                              T* __restrict db) {
    for (std::size_t j = 0; j < cols; ++j) {
      const T* __restrict column = dy + j * rows;
      for (std::size_t r = 0; r < rows; ++r) db[r] += column[r];
    }
  }
};

template <class T>
void Blas::gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
                std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
  const std::size_t parts = std::min<std::size_t>(pool_.size(), max_parts);
  if (parts < 2 || double(m) * double(n) * double(k) < double(1 << 20)) {
    gemm_serial(0, op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  if (n >= 16 * parts) {
    auto job = [&](unsigned p) {
      const std::size_t c0 = n * p / parts, c1 = n * (p + 1) / parts;
      const T* bp = op_b == Op::none ? b + c0 * ldb : b + c0;
      gemm_serial(p, op_a, op_b, m, c1 - c0, k, alpha, a, lda, bp, ldb, beta, c + c0 * ldc, ldc);
    };
    pool_.run(unsigned(parts), job);
    return;
  }
  auto& scratch = workspace<T>(1).partial;
  scratch.resize(std::max(scratch.size(), m * n));
  auto job = [&](unsigned p) {
    const std::size_t k0 = k * p / parts, k1 = k * (p + 1) / parts;
    const T* ap = op_a == Op::none ? a + k0 * lda : a + k0;
    const T* bp = op_b == Op::none ? b + k0 : b + k0 * ldb;
    if (p == 0)
      gemm_serial(0, op_a, op_b, m, n, k1 - k0, alpha, ap, lda, bp, ldb, beta, c, ldc);
    else
      gemm_serial(p, op_a, op_b, m, n, k1 - k0, alpha, ap, lda, bp, ldb, T(0), scratch.data(), m);
  };
  pool_.run(unsigned(parts), job);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < m; ++i) c[j * ldc + i] += scratch[j * m + i];
}

#if defined(TG_SEPARATE_COMPILATION)
TG_EXTERN_TEMPLATE void Blas::gemm<float>(Op, Op, std::size_t, std::size_t, std::size_t, float,
                                          const float*, std::size_t, const float*, std::size_t,
                                          float, float*, std::size_t);
TG_EXTERN_TEMPLATE void Blas::gemm<double>(Op, Op, std::size_t, std::size_t, std::size_t, double,
                                           const double*, std::size_t, const double*, std::size_t,
                                           double, double*, std::size_t);
#endif

}  // namespace tensorguard::cpu
