// Dense linear algebra on the CPU: Eigen maps over the library's buffers (column-major).
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "../../core/buffer.hpp"

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
  // C (m x n) = alpha * op(A) * op(B) + beta * C, all column-major with leading dimensions.
  template <class T>
  void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
            std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    using Eigen::Index;
    if (beta == T(0)) {
      for (std::size_t j = 0; j < n; ++j) std::fill_n(c + j * ldc, m, T(0));
    } else if (beta != T(1)) {
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t i = 0; i < m; ++i) c[j * ldc + i] *= beta;
    }
    if (m == 0 || n == 0 || k == 0) return;
    auto& ws = workspace<T>();
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

 private:
  template <class T>
  struct Workspace {
    Buffer<T> a, b;
  };
  template <class T>
  Workspace<T>& workspace() {
    if constexpr (std::is_same_v<T, float>)
      return float_workspace_;
    else
      return double_workspace_;
  }
  Workspace<float> float_workspace_;
  Workspace<double> double_workspace_;

 public:
  // Y(:, j) += bias for every column j of the rows x cols matrix Y.
  template <class T>
  static void add_bias(T* y, const T* bias, std::size_t rows, std::size_t cols) {
    using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    Eigen::Map<Mat> Y(y, Eigen::Index(rows), Eigen::Index(cols));
    Y.colwise() += Eigen::Map<const Vec>(bias, Eigen::Index(rows));
  }

  // db = sum of the columns of dY (rows x cols).
  template <class T>
  static void sum_columns(const T* dy, std::size_t rows, std::size_t cols, T* db) {
    using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    Eigen::Map<const Mat> D(dy, Eigen::Index(rows), Eigen::Index(cols));
    Eigen::Map<Vec>(db, Eigen::Index(rows)) = D.rowwise().sum();
  }
};

}  // namespace tensorguard::cpu
