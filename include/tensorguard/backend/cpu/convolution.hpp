// Stride-1 convolutions read straight from a zero-padded copy of the image: the GEMM kernel's
// tiles take their B columns from consecutive pixels (one run of channels per kernel tap), so
// no patch matrix (9x the image for a 3x3 kernel) is written or read. The input gradient is the
// same computation over the padded output gradient with the kernel flipped and transposed, so
// it needs neither the patch-gradient matrix nor col2im's scatter.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "../../core/buffer.hpp"
#include "../geometry.hpp"
#include "small_gemm.hpp"

namespace tensorguard::cpu {

class Convolution {
 public:
  // y (n x out_h x out_w x filters) += the convolution of x with w (filters x patch,
  // column-major, the patch ordered kernel row, kernel column, channel). Stride 1 only.
  template <class T>
  void convolve(const WindowGeometry& g, const T* w, const T* x, T* y, std::size_t filters,
                std::size_t n) {
    const std::size_t f = filters;
    run(g.kernel_h, g.kernel_w, g.channels, f, x, g.in_h, g.in_w, g.pad_top, g.pad_left, g.out_h,
        g.out_w, y, n, [w, f](std::size_t i, std::size_t k) { return w[i + k * f]; });
  }

  // dx (n x in_h x in_w x channels) = the gradient of the inputs for output gradients dz
  // (n x out_h x out_w x filters). Stride 1 only.
  template <class T>
  void convolve_input_gradient(const WindowGeometry& g, const T* w, const T* dz, T* dx,
                               std::size_t filters, std::size_t n) {
    std::memset(dx, 0, n * g.in_size() * sizeof(T));
    const std::size_t f = filters, c = g.channels, last_tap = g.kernel_h * g.kernel_w - 1;
    // Row i (input channel), column k = tap * filters + filter of the flipped, transposed kernel.
    run(g.kernel_h, g.kernel_w, f, c, dz, g.out_h, g.out_w, g.kernel_h - 1 - g.pad_top,
        g.kernel_w - 1 - g.pad_left, g.in_h, g.in_w, dx, n,
        [w, f, c, last_tap](std::size_t i, std::size_t k) {
          return w[k % f + ((last_tap - k / f) * c + i) * f];
        });
  }

 private:
  // out (n x out_h x out_w x m) += the stride-1 correlation of src (n x src_h x src_w x ch),
  // placed at (top, left) in a zero image of (out_h + kh - 1) x (out_w + kw - 1), with the
  // m x (kh * kw * ch) matrix element(i, k).
  template <class T, class Element>
  void run(std::size_t kh, std::size_t kw, std::size_t ch, std::size_t m, const T* src,
           std::size_t src_h, std::size_t src_w, std::size_t top, std::size_t left,
           std::size_t out_h, std::size_t out_w, T* out, std::size_t n, Element element) {
    if (kh == 3 && kw == 3 && winograd_pays<T>(ch, m, 128)) {
      // Both paths' scratch sized on every call (n = 0 computes nothing), so a smaller last
      // micro-batch that takes the other path allocates nothing.
      const bool wide = n * ((out_h + 1) / 2) * ((out_w + 1) / 2) >= 128;
      if (m <= small_gemm::lanes<T>) {
        run<T, 1>(kh, kw, ch, m, src, src_h, src_w, top, left, out_h, out_w, out, wide ? 0 : n,
                  element);
        winograd<T, 1>(ch, m, src, src_h, src_w, top, left, out_h, out_w, out, wide ? n : 0,
                       element);
      } else {
        run<T, 2>(kh, kw, ch, m, src, src_h, src_w, top, left, out_h, out_w, out, wide ? 0 : n,
                  element);
        winograd<T, 2>(ch, m, src, src_h, src_w, top, left, out_h, out_w, out, wide ? n : 0,
                       element);
      }
      return;
    }
    if (m <= small_gemm::lanes<T>)
      run<T, 1>(kh, kw, ch, m, src, src_h, src_w, top, left, out_h, out_w, out, n, element);
    else
      run<T, 2>(kh, kw, ch, m, src, src_h, src_w, top, left, out_h, out_w, out, n, element);
  }

  template <class T, int Vectors, class Element>
  void run(std::size_t kh, std::size_t kw, std::size_t ch, std::size_t m, const T* src,
           std::size_t src_h, std::size_t src_w, std::size_t top, std::size_t left,
           std::size_t out_h, std::size_t out_w, T* out, std::size_t n, Element element) {
    constexpr int Columns = small_gemm::columns_for<Vectors>;
    constexpr std::size_t rows = std::size_t(Vectors) * small_gemm::lanes<T>;
    const std::size_t padded_h = out_h + kh - 1, padded_w = out_w + kw - 1;
    // Output positions run along the padded rows (kw - 1 of every padded_w are not outputs and
    // are not stored), so a tile's pixels are evenly spaced; the last tile reads past the image
    // into zeros.
    const std::size_t image = padded_h * padded_w * ch, tail = (Columns + kw) * ch;
    const std::size_t taps = kh * kw, k = taps * ch;
    // Inner blocks of whole taps, at most about 256 long and of equal size; blocks of at most
    // 256 rows.
    const std::size_t blocks =
        (taps + std::max<std::size_t>(1, 256 / ch) - 1) / std::max<std::size_t>(1, 256 / ch);
    const std::size_t taps_per_block = (taps + blocks - 1) / blocks;
    const std::size_t row_block = 256;
    auto& ws = workspace<T>();
    ws.padded.resize(std::max(ws.padded.size(), image + tail));
    ws.packed.resize(std::max(ws.packed.size(), ((std::min(m, row_block) + rows - 1) / rows) *
                                                    rows * std::min(k, taps_per_block * ch)));
    ws.offsets.resize(std::max(ws.offsets.size(), taps));
    for (std::size_t t = 0; t < taps; ++t) ws.offsets[t] = ((t / kw) * padded_w + t % kw) * ch;
    T* padded = ws.padded.data();
    std::fill(padded + image, padded + image + tail, T(0));
    const std::size_t positions = out_h * padded_w;
    T* dst[Columns];
    for (std::size_t s = 0; s < n; ++s) {
      place(src + s * src_h * src_w * ch, src_h, src_w, ch, top, left, padded_h, padded_w, padded);
      T* out_image = out + s * out_h * out_w * m;
      for (std::size_t t0 = 0; t0 < taps; t0 += taps_per_block) {
        const std::size_t block_taps = std::min(taps_per_block, taps - t0), kc = block_taps * ch;
        for (std::size_t m0 = 0; m0 < m; m0 += row_block) {
          const std::size_t mc = std::min(row_block, m - m0), tiles = (mc + rows - 1) / rows;
          small_gemm::pack_a(ws.packed.data(), rows, m, m0, mc, t0 * ch, kc, element);
          for (std::size_t q0 = 0; q0 < positions; q0 += std::size_t(Columns)) {
            const small_gemm::TileB<T> tile{padded + q0 * ch,      1, ch, ch, block_taps,
                                            ws.offsets.data() + t0};
            for (std::size_t t = 0; t < tiles; ++t) {
              for (std::size_t j = 0; j < std::size_t(Columns); ++j) {
                const std::size_t q = q0 + j, oy = q / padded_w, ox = q % padded_w;
                dst[j] = q < positions && ox < out_w
                             ? out_image + (oy * out_w + ox) * m + m0 + t * rows
                             : nullptr;
              }
              small_gemm::micro_kernel<T, Vectors, Columns>(
                  ws.packed.data() + t * rows * kc, tile, dst, T(1), std::min(rows, mc - t * rows));
            }
          }
        }
      }
    }
  }

  // Winograd's F(2x2, 3x3): each 2 x 2 block of outputs from a 4 x 4 block of the padded input
  // with 16 multiplications per (channel, filter) instead of 36. Per block of tiles: the input
  // tiles' transforms V = B^T d B (16 matrices of ch x tiles), 16 products M = U V with the
  // transformed kernel U = G g G^T (m x ch each, through the GEMM kernel), and the outputs
  // A^T M A added to out. Channels and filters are innermost, so every transform is a loop over
  // contiguous values.
  //
  // When it pays (measured on AVX-512, 1 thread): channels and filters at least a vector wide
  // (narrower transforms run in scalar code: 8 channels were 18 % slower than the direct
  // convolution) and at least 128 tiles per call (the kernel's transform per call costs as much
  // as the products saved on about 50 tiles; 36 were 25 % slower). Then 28x28x16 -> 16 at batch
  // 64 runs 1.28x and 14x14x32 -> 32 1.65x the direct convolution's speed.
  template <class T>
  static constexpr bool winograd_pays(std::size_t ch, std::size_t m, std::size_t tiles) {
    return ch >= small_gemm::lanes<T> && m >= small_gemm::lanes<T> && tiles >= 128;
  }

  template <class T, int Vectors, class Element>
  void winograd(std::size_t ch, std::size_t m, const T* src, std::size_t src_h, std::size_t src_w,
                std::size_t top, std::size_t left, std::size_t out_h, std::size_t out_w, T* out,
                std::size_t n, Element element) {
    constexpr int Columns = small_gemm::columns_for<Vectors>;
    constexpr std::size_t rows = std::size_t(Vectors) * small_gemm::lanes<T>;
    const std::size_t tiles_h = (out_h + 1) / 2, tiles_w = (out_w + 1) / 2;
    const std::size_t tiles = tiles_h * tiles_w, row_tiles = (m + rows - 1) / rows;
    const std::size_t padded_h = 2 * tiles_h + 2, padded_w = 2 * tiles_w + 2;
    // Tiles per block: V and M (16 x (ch + m) values per tile) within about 512 KiB of L2.
    const std::size_t block = std::min(
        tiles, std::clamp<std::size_t>((512 * 1024 / sizeof(T)) / (16 * (ch + m)), Columns, 1024));
    auto& ws = workspace<T>();
    ws.padded.resize(std::max(ws.padded.size(), padded_h * padded_w * ch));
    ws.packed.resize(std::max(ws.packed.size(), 16 * row_tiles * rows * ch));
    // V keeps Columns tiles of zeros after a block: the kernel reads whole column tiles.
    ws.transformed.resize(std::max(ws.transformed.size(), 16 * (block + Columns) * ch));
    ws.products.resize(std::max(ws.products.size(), 16 * block * m));
    ws.kernel.resize(std::max(ws.kernel.size(), 16 * ch));
    if (n == 0) return;
    T* packed = ws.packed.data();
    T* v = ws.transformed.data();
    T* products = ws.products.data();
    // U = G g G^T per (filter, channel), packed per element xi as the kernel's A (m x ch).
    const std::size_t u_stride = row_tiles * rows * ch;
    std::fill(packed, packed + 16 * u_stride, T(0));
    for (std::size_t i = 0; i < m; ++i) {
      T* u = ws.kernel.data();  // 16 x ch for filter i
      for (std::size_t c = 0; c < ch; ++c) {
        T g[3][3], gg[4][3];
        for (std::size_t t = 0; t < 9; ++t) g[t / 3][t % 3] = element(i, t * ch + c);
        for (int x = 0; x < 3; ++x) {
          gg[0][x] = g[0][x];
          gg[1][x] = T(0.5) * (g[0][x] + g[1][x] + g[2][x]);
          gg[2][x] = T(0.5) * (g[0][x] - g[1][x] + g[2][x]);
          gg[3][x] = g[2][x];
        }
        for (int y = 0; y < 4; ++y) {
          u[(y * 4 + 0) * ch + c] = gg[y][0];
          u[(y * 4 + 1) * ch + c] = T(0.5) * (gg[y][0] + gg[y][1] + gg[y][2]);
          u[(y * 4 + 2) * ch + c] = T(0.5) * (gg[y][0] - gg[y][1] + gg[y][2]);
          u[(y * 4 + 3) * ch + c] = gg[y][2];
        }
      }
      // Packed as pack_a lays out tiles: tile i / rows, column c, row i % rows.
      for (std::size_t xi = 0; xi < 16; ++xi)
        for (std::size_t c = 0; c < ch; ++c)
          packed[xi * u_stride + ((i / rows) * ch + c) * rows + i % rows] = u[xi * ch + c];
    }
    const std::size_t no_offset = 0;
    const std::size_t row = padded_w * ch, stride = (block + Columns) * ch;
    // The kernel reads whole column tiles: the columns after the last tile are zeros.
    for (std::size_t xi = 0; xi < 16; ++xi)
      std::fill(v + xi * stride + block * ch, v + (xi + 1) * stride, T(0));
    T* dst[Columns];
    for (std::size_t s = 0; s < n; ++s) {
      place(src + s * src_h * src_w * ch, src_h, src_w, ch, top, left, padded_h, padded_w,
            ws.padded.data());
      T* out_image = out + s * out_h * out_w * m;
      for (std::size_t b0 = 0; b0 < tiles; b0 += block) {
        const std::size_t count = std::min(block, tiles - b0);
        if (count < block)  // a short block: zeros after it instead of the last block's tiles
          for (std::size_t xi = 0; xi < 16; ++xi)
            std::fill(v + xi * stride + count * ch, v + xi * stride + block * ch, T(0));
        for (std::size_t t = 0; t < count; ++t) {
          const std::size_t ty = (b0 + t) / tiles_w, tx = (b0 + t) % tiles_w;
          lanewise<T>(ch, [&]<class U>(std::size_t c) {
            input_transform<U>(ws.padded.data() + (2 * ty * padded_w + 2 * tx) * ch + c, row, ch,
                               v + t * ch + c, stride);
          });
        }
        // M_xi (m x count, column-major) = U_xi V_xi.
        std::fill(products, products + 16 * count * m, T(0));
        for (std::size_t xi = 0; xi < 16; ++xi) {
          T* mxi = products + xi * count * m;
          for (std::size_t j0 = 0; j0 < count; j0 += std::size_t(Columns)) {
            const small_gemm::TileB<T> tile{v + xi * stride + j0 * ch, 1, ch, ch, 1, &no_offset};
            for (std::size_t rt = 0; rt < row_tiles; ++rt) {
              for (std::size_t j = 0; j < std::size_t(Columns); ++j)
                dst[j] = j0 + j < count ? mxi + (j0 + j) * m + rt * rows : nullptr;
              small_gemm::micro_kernel<T, Vectors, Columns>(packed + xi * u_stride + rt * rows * ch,
                                                            tile, dst, T(1),
                                                            std::min(rows, m - rt * rows));
            }
          }
        }
        // out += A^T M A where the 2 x 2 block lies in the image.
        for (std::size_t t = 0; t < count; ++t) {
          const std::size_t ty = (b0 + t) / tiles_w, tx = (b0 + t) % tiles_w;
          const std::size_t oy = 2 * ty, ox = 2 * tx;
          T* y00 = out_image + (oy * out_w + ox) * m;
          const std::size_t right = ox + 1 < out_w ? m : 0, down = oy + 1 < out_h ? out_w * m : 0;
          lanewise<T>(m, [&]<class U>(std::size_t i) {
            output_transform<U>(products + t * m + i, count * m, y00 + i, right, down);
          });
        }
      }
    }
  }

  // f<U>(i) for i in [0, count): U the widest vector over lanes consecutive values, then T.
  template <class T, class F>
  static void lanewise(std::size_t count, F f) {
    using V = typename small_gemm::VectorOf<T>::type;
    constexpr std::size_t L = small_gemm::lanes<T>;
    std::size_t i = 0;
    for (; i + L <= count; i += L) f.template operator()<V>(i);
    for (; i < count; ++i) f.template operator()<T>(i);
  }
  template <class U, class T>
  static U load(const T* p) {
    U u;
    std::memcpy(&u, p, sizeof(U));
    return u;
  }
  template <class U, class T>
  static void store(T* p, U u) {
    std::memcpy(p, &u, sizeof(U));
  }

  // V = B^T d B for the 4 x 4 tile at d (rows `row` apart, pixels `ch` apart), element xi of V
  // at v + xi * stride. B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
  template <class U, class T>
  static void input_transform(const T* d, std::size_t row, std::size_t ch, T* v,
                              std::size_t stride) {
    U r[4][4];
    for (int x = 0; x < 4; ++x) {
      const U d0 = load<U>(d + x * ch), d1 = load<U>(d + row + x * ch),
              d2 = load<U>(d + 2 * row + x * ch), d3 = load<U>(d + 3 * row + x * ch);
      r[0][x] = d0 - d2, r[1][x] = d1 + d2, r[2][x] = d2 - d1, r[3][x] = d1 - d3;
    }
    for (int y = 0; y < 4; ++y) {
      store(v + (y * 4 + 0) * stride, r[y][0] - r[y][2]);
      store(v + (y * 4 + 1) * stride, r[y][1] + r[y][2]);
      store(v + (y * 4 + 2) * stride, r[y][2] - r[y][1]);
      store(v + (y * 4 + 3) * stride, r[y][1] - r[y][3]);
    }
  }

  // y += A^T M A, A^T = [1 1 1 0; 0 1 -1 -1], for M's 16 elements at e + xi * stride: the 2 x 2
  // outputs at y, y + right, y + down, y + right + down (right or down 0: outside the image).
  template <class U, class T>
  static void output_transform(const T* e, std::size_t stride, T* y, std::size_t right,
                               std::size_t down) {
    U q[4][2];
    for (int r = 0; r < 4; ++r) {
      const T* at = e + std::size_t(r * 4) * stride;
      const U e0 = load<U>(at), e1 = load<U>(at + stride), e2 = load<U>(at + 2 * stride),
              e3 = load<U>(at + 3 * stride);
      q[r][0] = e0 + e1 + e2;
      q[r][1] = e1 - e2 - e3;
    }
    const U top[2] = {q[0][0] + q[1][0] + q[2][0], q[0][1] + q[1][1] + q[2][1]};
    const U bottom[2] = {q[1][0] - q[2][0] - q[3][0], q[1][1] - q[2][1] - q[3][1]};
    store(y, load<U>(y) + top[0]);
    if (right) store(y + right, load<U>(y + right) + top[1]);
    if (down) store(y + down, load<U>(y + down) + bottom[0]);
    if (right && down) store(y + right + down, load<U>(y + right + down) + bottom[1]);
  }

  // Copies one h x w x ch image into the padded one at (top, left) and zeroes the border.
  template <class T>
  static void place(const T* src, std::size_t h, std::size_t w, std::size_t ch, std::size_t top,
                    std::size_t left, std::size_t padded_h, std::size_t padded_w, T* padded) {
    const std::size_t row = padded_w * ch;
    std::fill(padded, padded + top * row, T(0));
    for (std::size_t y = 0; y < h; ++y) {
      T* line = padded + (top + y) * row;
      std::fill(line, line + left * ch, T(0));
      std::memcpy(line + left * ch, src + y * w * ch, w * ch * sizeof(T));
      std::fill(line + (left + w) * ch, line + row, T(0));
    }
    std::fill(padded + (top + h) * row, padded + padded_h * row, T(0));
  }

  template <class T>
  struct Workspace {
    Buffer<T> padded, packed, transformed, products, kernel;
    Buffer<std::size_t> offsets;
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
};

}  // namespace tensorguard::cpu
