// A register-blocked GEMM for the shapes convolutions make: few rows (the filter count) against
// many columns (every output position of a batch), or a long inner dimension (a weight
// gradient summed over positions). Eigen's kernel keeps 48 x 4 tiles and packs B, which wastes
// most of each tile on 16-32 rows and copies the im2col matrix once more; this one keeps a
// (16-32) x (12-24) tile of C in registers, packs only A (small) and reads B where it lies.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>

// Unrolling hints for the register tiles: GCC's pragma, which clang reads too; nvcc's front end
// does not know it (a .cu file that includes the CPU backend compiles without the hint).
#if defined(__CUDACC__)
#define TG_UNROLL(n)
#else
#define TG_UNROLL_PRAGMA(text) _Pragma(#text)
#define TG_UNROLL(n) TG_UNROLL_PRAGMA(GCC unroll n)
#endif

namespace tensorguard::cpu::small_gemm {

// The widest vectors the compiler was told it may use, and how many registers hold them.
#if defined(__AVX512F__)
inline constexpr std::size_t vector_bytes = 64;
inline constexpr int registers = 32;
#elif defined(__AVX__)
inline constexpr std::size_t vector_bytes = 32;
inline constexpr int registers = 16;
#else
inline constexpr std::size_t vector_bytes = 16;
inline constexpr int registers = 16;
#endif

template <class T>
struct VectorOf;
template <>
struct VectorOf<float> {
  typedef float type __attribute__((vector_size(vector_bytes)));
};
template <>
struct VectorOf<double> {
  typedef double type __attribute__((vector_size(vector_bytes)));
};

template <class T>
inline constexpr std::size_t lanes = vector_bytes / sizeof(T);

// Tile shapes: Vectors x lanes rows by Columns columns of C in registers, leaving two or three
// registers for A's column and B's broadcast element.
template <int Vectors>
inline constexpr int columns_for = std::min((registers - Vectors - 2) / Vectors, 24);

// Where a tile reads B: B(k, j) = b[offsets[k / run] + (k % run) * k_step + j * j_step]. A
// matrix is one run of kc elements (offsets {0}); a stride-1 convolution read straight from the
// zero-padded image is one run of the channels per kernel tap, at the tap's offset.
template <class T>
struct TileB {
  const T* b;
  std::size_t k_step, j_step, run, runs;
  const std::size_t* offsets;
};

// C tile += alpha * Apacked (rows x kc) * B (kc x Columns), kc = run x runs (C tile = ... when
// not Accumulate). Apacked holds kc columns of Vectors * lanes rows each, contiguous and
// aligned. Column j of the tile is stored at dst[j] (skipped where null), its first live_rows
// rows only (the matrix's edges).
template <class T, int Vectors, int Columns, bool Accumulate = true>
inline void micro_kernel(const T* __restrict a, const TileB<T>& tile, T* const* dst, T alpha,
                         std::size_t live_rows) {
  using V = typename VectorOf<T>::type;
  constexpr std::size_t L = lanes<T>;
  V acc[Columns][Vectors];
  TG_UNROLL(32)
  for (int j = 0; j < Columns; ++j) {
    TG_UNROLL(4)
    for (int v = 0; v < Vectors; ++v) acc[j][v] = V{};
  }
  const std::size_t j_step = tile.j_step, k_step = tile.k_step;
  for (std::size_t r = 0; r < tile.runs; ++r) {
    const T* __restrict b = tile.b + tile.offsets[r];
    for (std::size_t k = 0; k < tile.run; ++k, a += Vectors * L) {
      V av[Vectors];
      TG_UNROLL(4)
      for (int v = 0; v < Vectors; ++v) std::memcpy(&av[v], a + std::size_t(v) * L, sizeof(V));
      const T* bk = b + k * k_step;
      TG_UNROLL(32)
      for (int j = 0; j < Columns; ++j) {
        const T bj = bk[std::size_t(j) * j_step];
        TG_UNROLL(4)
        for (int v = 0; v < Vectors; ++v) acc[j][v] += av[v] * bj;
      }
    }
  }
  TG_UNROLL(32)
  for (int j = 0; j < Columns; ++j) {
    if (!dst[j]) continue;
    TG_UNROLL(4)
    for (int v = 0; v < Vectors; ++v) {
      T* at = dst[j] + std::size_t(v) * L;
      if ((v + 1) * L <= live_rows) {
        V cv = acc[j][v] * alpha;
        if constexpr (Accumulate) {
          V old;
          std::memcpy(&old, at, sizeof(V));
          cv += old;
        }
        std::memcpy(at, &cv, sizeof(V));
      } else {
        for (std::size_t i = 0; v * L + i < live_rows && i < L; ++i)
          at[i] = (Accumulate ? at[i] : T(0)) + acc[j][v][i] * alpha;
      }
    }
  }
}

// Packs rows [m0, m0 + mc) x columns [k0, k0 + kc) of A (element(i, k)) in tiles of `rows`
// rows, each kc columns long and contiguous, zero below row m.
template <class T, class Element>
void pack_a(T* packed, std::size_t rows, std::size_t m, std::size_t m0, std::size_t mc,
            std::size_t k0, std::size_t kc, Element element) {
  for (std::size_t r0 = m0; r0 < m0 + mc; r0 += rows) {
    const std::size_t live = std::min(rows, m - r0);
    for (std::size_t kk = 0; kk < kc; ++kk, packed += rows) {
      for (std::size_t i = 0; i < live; ++i) packed[i] = element(r0 + i, k0 + kk);
      std::fill(packed + live, packed + rows, T(0));
    }
  }
}

// Whether the kernel suits C (m x n): its tiles mostly full. Thin products (8 filters of a 1x1
// convolution, a gradient with one column) waste most of a tile and go to Eigen instead.
template <class T>
constexpr bool suits(std::size_t m, std::size_t n) {
  return 2 * m > lanes<T> && n >= std::size_t(columns_for<2>);
}

// Scratch the caller keeps between calls (so a training step allocates nothing): packed A,
// and the edge tiles of B and C.
template <class T>
std::size_t scratch_size(std::size_t m, std::size_t k) {
  constexpr std::size_t rows = 2 * lanes<T>, max_columns = 32, block = 256;
  const std::size_t kc = std::min(k, block), mc = std::min(m, block);
  return ((mc + rows - 1) / rows) * rows * kc + max_columns * kc;
}

// C (m x n, column-major, ldc) += alpha * op(A) * op(B); A(i, k) = a[i * a_row + k * a_col],
// B(k, j) = b[k * b_row + j * b_col]. scratch: scratch_size(m, k) elements, 64-byte aligned.
template <class T, int Vectors>
void multiply(std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t a_row,
              std::size_t a_col, const T* b, std::size_t b_row, std::size_t b_col, T* c,
              std::size_t ldc, T* scratch) {
  constexpr int Columns = columns_for<Vectors>;
  constexpr std::size_t rows = std::size_t(Vectors) * lanes<T>;
  // Blocks of A (row_block x inner_block, 256 KiB of floats) stay in L2 while the B columns of
  // one tile (Columns x inner_block) stay in L1.
  constexpr std::size_t inner_block = 256, row_block = 256;
  const std::size_t no_offset = 0;
  T* dst[Columns];
  for (std::size_t k0 = 0; k0 < k; k0 += inner_block) {
    const std::size_t kc = std::min(inner_block, k - k0);
    for (std::size_t m0 = 0; m0 < m; m0 += row_block) {
      const std::size_t mc = std::min(row_block, m - m0);
      const std::size_t tiles = (mc + rows - 1) / rows;
      T* packed = scratch;
      pack_a(packed, rows, m, m0, mc, k0, kc,
             [&](std::size_t i, std::size_t kk) { return a[i * a_row + kk * a_col]; });
      T* b_edge = packed + tiles * rows * kc;
      // Tiles of Columns columns, then the last columns in a tile of 4, 8 or Columns: 32
      // columns (a batch of 64 split over two threads) fill 14 + 14 + 4 instead of 3 x 14.
      auto run_tiles = [&]<int Width>(std::size_t j0, std::size_t live_columns) {
        TileB<T> tile{b + k0 * b_row + j0 * b_col, b_row, b_col, kc, 1, &no_offset};
        if (live_columns < std::size_t(Width)) {  // zeros beyond n
          for (std::size_t kk = 0; kk < kc; ++kk)
            for (std::size_t j = 0; j < std::size_t(Width); ++j)
              b_edge[kk * Width + j] = j < live_columns ? tile.b[kk * b_row + j * b_col] : T(0);
          tile.b = b_edge, tile.k_step = std::size_t(Width), tile.j_step = 1;
        }
        for (std::size_t t = 0; t < tiles; ++t) {
          for (std::size_t j = 0; j < std::size_t(Width); ++j)
            dst[j] = j < live_columns ? c + m0 + t * rows + (j0 + j) * ldc : nullptr;
          micro_kernel<T, Vectors, Width>(packed + t * rows * kc, tile, dst, alpha,
                                          std::min(rows, mc - t * rows));
        }
      };
      std::size_t j0 = 0;
      for (; j0 + std::size_t(Columns) <= n; j0 += std::size_t(Columns))
        run_tiles.template operator()<Columns>(j0, std::size_t(Columns));
      if (const std::size_t last = n - j0; last > 8)
        run_tiles.template operator()<Columns>(j0, last);
      else if (last > 4)
        run_tiles.template operator()<std::min(8, Columns)>(j0, last);
      else if (last > 0)
        run_tiles.template operator()<std::min(4, Columns)>(j0, last);
    }
  }
}

}  // namespace tensorguard::cpu::small_gemm
