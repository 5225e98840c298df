// Dense linear algebra on the CPU: Eigen maps over the library's buffers (column-major).
#pragma once
#include <Eigen/Core>
#include <cstddef>

namespace tensorguard::cpu {

enum class Op { none, transpose };

struct Blas {
  // C (m x n) = alpha * op(A) * op(B) + beta * C, all column-major with leading dimensions.
  template <class T>
  static void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
                   const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
                   std::size_t ldc) {
    using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    using Stride = Eigen::OuterStride<>;
    using ConstMap = Eigen::Map<const Mat, Eigen::Unaligned, Stride>;
    Eigen::Map<Mat, Eigen::Unaligned, Stride> C(c, Eigen::Index(m), Eigen::Index(n),
                                                 Stride(Eigen::Index(ldc)));
    const auto a_rows = Eigen::Index(op_a == Op::none ? m : k);
    const auto a_cols = Eigen::Index(op_a == Op::none ? k : m);
    const auto b_rows = Eigen::Index(op_b == Op::none ? k : n);
    const auto b_cols = Eigen::Index(op_b == Op::none ? n : k);
    ConstMap A(a, a_rows, a_cols, Stride(Eigen::Index(lda)));
    ConstMap B(b, b_rows, b_cols, Stride(Eigen::Index(ldb)));
    auto run = [&](const auto& opA, const auto& opB) {
      if (beta == T(0)) {
        C.noalias() = alpha * opA * opB;
      } else {
        if (beta != T(1)) C *= beta;
        C.noalias() += alpha * opA * opB;
      }
    };
    if (op_a == Op::none && op_b == Op::none) run(A, B);
    else if (op_a == Op::none) run(A, B.transpose());
    else if (op_b == Op::none) run(A.transpose(), B);
    else run(A.transpose(), B.transpose());
  }

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
