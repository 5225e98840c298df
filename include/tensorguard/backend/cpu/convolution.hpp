// Stride-1 convolutions read straight from a zero-padded copy of the image: the GEMM kernel's
// tiles take their B columns from consecutive pixels (one run of channels per kernel tap), so
// no patch matrix (9x the image for a 3x3 kernel) is written or read. The input gradient is the
// same computation over the padded output gradient with the kernel flipped and transposed, so
// it needs neither the patch-gradient matrix nor col2im's scatter. Float 3x3 kernels on 16 or
// more channels and filters take Winograd's minimal filtering instead (fewer multiplications).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <vector>

#include "../../core/buffer.hpp"
#include "../../detail/config.hpp"
#include "../geometry.hpp"
#include "small_gemm.hpp"

namespace tensorguard::cpu {

class Convolution {
 public:
  // Whether a caller's layer may take Winograd's path: a layer that knows at compile time it
  // cannot (not 3x3, or fewer than 4 channels or filters) passes std::false_type, and its
  // program compiles none of that code (about 1 s per tile size at -O2).
  using MayUseWinograd = std::true_type;

  // y (n x out_h x out_w x filters) += the convolution of x with w (filters x patch,
  // column-major, the patch ordered kernel row, kernel column, channel). Stride 1 only.
  template <class T, class Winograd = MayUseWinograd>
  void convolve(const WindowGeometry& g, const T* w, const T* x, T* y, std::size_t filters,
                std::size_t n, Winograd = {});

  // dx (n x in_h x in_w x channels) = the gradient of the inputs for output gradients dz
  // (n x out_h x out_w x filters). Stride 1 only.
  template <class T, class Winograd = MayUseWinograd>
  void convolve_input_gradient(const WindowGeometry& g, const T* w, const T* dz, T* dx,
                               std::size_t filters, std::size_t n, Winograd = {});

  // dw (filters x patch, column-major, the patch ordered as convolve's) += the weight gradient
  // for inputs x and output gradients dz. Stride 1 only. Read straight from each zero-padded
  // image: for kernel row r, the patch columns r * kw * ch + j are the padded image's values
  // at pixel offset r * padded_w, consecutive in j, so each kernel row is one GEMM (filters x
  // kw * ch, inner dimension the output positions) with no patch matrix written or read.
  template <class T>
  void convolve_weight_gradient(const WindowGeometry& g, const T* x, const T* dz, T* dw,
                                std::size_t filters, std::size_t n);

 private:
  // out (n x out_h x out_w x m) += the stride-1 correlation of src (n x src_h x src_w x ch),
  // placed at (top, left) in a zero image of (out_h + kh - 1) x (out_w + kw - 1), with the
  // m x (kh * kw * ch) matrix element(i, k).
  template <bool Winograd, class T, class Element>
  void correlate(std::size_t kh, std::size_t kw, std::size_t ch, std::size_t m, const T* src,
                 std::size_t src_h, std::size_t src_w, std::size_t top, std::size_t left,
                 std::size_t out_h, std::size_t out_w, T* out, std::size_t n, Element element,
                 const T* source, bool flipped) {
    // Float only: double models are for exact checks (finite differences), where the GEMM's
    // rounding is the reference, and compiling Winograd twice doubled its compile time.
    if constexpr (Winograd && std::is_same_v<T, float>)
      if (kh == 3 && kw == 3 && winograd_pays<T>(ch, m, std::size_t(-1))) {
        // Both paths' scratch sized on every call (n = 0 computes nothing), so a smaller last
        // micro-batch that takes the other path allocates nothing.
        const bool wide = winograd_pays<T>(ch, m, n * out_h * out_w);
        if (m <= small_gemm::lanes<T>)
          run<T, 1>(kh, kw, ch, m, src, src_h, src_w, top, left, out_h, out_w, out, wide ? 0 : n,
                    element);
        else
          run<T, 2>(kh, kw, ch, m, src, src_h, src_w, top, left, out_h, out_w, out, wide ? 0 : n,
                    element);
        // F(4x4) where its tiles cover the image with at most 1/8 to spare (28 x 28: none;
        // 14 x 14: 31 %, where F(2x2) measured 1.16x faster), else F(2x2).
        const std::size_t covered = 16 * ((out_h + 3) / 4) * ((out_w + 3) / 4);
        const bool four = 8 * covered <= 9 * out_h * out_w;
        const T* u = wide ? transformed_kernel(four, m, ch, source, flipped, element) : nullptr;
        if (four)
          winograd<T, 4>(ch, m, src, src_h, src_w, top, left, out_h, out_w, out, wide ? n : 0, u);
        else
          winograd<T, 2>(ch, m, src, src_h, src_w, top, left, out_h, out_w, out, wide ? n : 0, u);
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

  template <class T, int Vectors>
  void weight_gradient(const WindowGeometry& g, const T* x, const T* dz, T* dw, std::size_t m,
                       std::size_t n) {
    constexpr int Columns = small_gemm::columns_for<Vectors>;
    constexpr std::size_t rows = std::size_t(Vectors) * small_gemm::lanes<T>;
    // Inner blocks of positions: a block of A (rows x 256) and of B stay in L1.
    constexpr std::size_t block = 256;
    const std::size_t kh = g.kernel_h, kw = g.kernel_w, ch = g.channels;
    const std::size_t out_h = g.out_h, out_w = g.out_w;
    const std::size_t padded_h = out_h + kh - 1, padded_w = out_w + kw - 1;
    // Positions run along the padded rows (as in run): the kw - 1 of each row that are not
    // outputs get zero gradients, so that B's columns are evenly spaced in the padded image.
    const std::size_t positions = out_h * padded_w, width = kw * ch;
    const std::size_t image = padded_h * padded_w * ch, row_tiles = (m + rows - 1) / rows;
    // A kernel row narrower than 8 (a first layer's 1-3 channels) would leave the kernel's
    // tiles mostly empty and its few sums waiting on each other: its B is then the image's
    // patches, all kernel rows side by side (kh * width columns, written per image, in cache).
    const bool stacked = width < 8;
    const std::size_t b_width = stacked ? kh * width : width, b_rows = stacked ? 1 : kh;
    // The last positions read kw - 1 pixels past the image, and a kernel row's last tile up to
    // Columns values past the row (not stored): zeros.
    const std::size_t tail = width + std::size_t(Columns);
    auto& ws = workspace<T>();
    ws.padded.resize(std::max(ws.padded.size(), image + tail));
    ws.packed.resize(std::max(ws.packed.size(), row_tiles * rows * positions));
    if (stacked) ws.patches.resize(std::max(ws.patches.size(), (positions + 1) * b_width + tail));
    T* padded = ws.padded.data();
    T* a = ws.packed.data();
    std::fill(padded + image, padded + image + tail, T(0));
    if (stacked) std::fill_n(ws.patches.data() + positions * b_width, b_width + tail, T(0));
    const std::size_t no_offset = 0;
    T* dst[Columns];
    for (std::size_t s = 0; s < n; ++s) {
      place(x + s * g.in_h * g.in_w * ch, g.in_h, g.in_w, ch, g.pad_top, g.pad_left, padded_h,
            padded_w, padded);
      if (stacked) {
        T* to = ws.patches.data();
        for (std::size_t r = 0; r < kh; ++r) {
          const T* from = padded + r * padded_w * ch;
          for (std::size_t q = 0; q < positions; ++q)
            for (std::size_t j = 0; j < width; ++j)
              to[q * b_width + r * width + j] = from[q * ch + j];
        }
      }
      // A: the output gradients, filters by positions, packed in tiles of `rows` filters.
      const T* dz_image = dz + s * out_h * out_w * m;
      const std::size_t gap = (padded_w - out_w) * rows;
      for (std::size_t t = 0; t < row_tiles; ++t) {
        const std::size_t r0 = t * rows, live = std::min(rows, m - r0);
        T* at = a + t * rows * positions;
        for (std::size_t oy = 0; oy < out_h; ++oy, at += gap) {
          const T* from = dz_image + oy * out_w * m + r0;
          if (m == rows) {  // the tile is the output gradients' row as it lies
            std::memcpy(at, from, out_w * rows * sizeof(T));
            at += out_w * rows;
          } else {
            for (std::size_t ox = 0; ox < out_w; ++ox, at += rows) {
              std::memcpy(at, from + ox * m, live * sizeof(T));
              std::fill(at + live, at + rows, T(0));
            }
          }
          std::fill(at, at + gap, T(0));
        }
      }
      for (std::size_t k0 = 0; k0 < positions; k0 += block) {
        const std::size_t kc = std::min(block, positions - k0);
        for (std::size_t r = 0; r < b_rows; ++r) {
          const T* b =
              stacked ? ws.patches.data() + k0 * b_width : padded + (r * padded_w + k0) * ch;
          const std::size_t k_step = stacked ? b_width : ch;
          T* c = dw + r * width * m;
          auto run_tiles = [&]<int Width>(std::size_t j0) {
            const small_gemm::TileB<T> tile{b + j0, k_step, 1, kc, 1, &no_offset};
            for (std::size_t t = 0; t < row_tiles; ++t) {
              for (std::size_t j = 0; j < std::size_t(Width); ++j)
                dst[j] = j0 + j < b_width ? c + (j0 + j) * m + t * rows : nullptr;
              small_gemm::micro_kernel<T, Vectors, Width>(a + (t * positions + k0) * rows, tile,
                                                          dst, T(1), std::min(rows, m - t * rows));
            }
          };
          // Whole tiles, then the last columns in a tile of 4, 8, 16 or Columns.
          std::size_t j0 = 0;
          for (; j0 + std::size_t(Columns) <= b_width; j0 += std::size_t(Columns))
            run_tiles.template operator()<Columns>(j0);
          if (const std::size_t last = b_width - j0; last > 16)
            run_tiles.template operator()<Columns>(j0);
          else if (last > 8)
            run_tiles.template operator()<std::min(16, Columns)>(j0);
          else if (last > 4)
            run_tiles.template operator()<std::min(8, Columns)>(j0);
          else if (last > 0)
            run_tiles.template operator()<std::min(4, Columns)>(j0);
        }
      }
    }
  }

  // Winograd's F(Out x Out, 3x3): each Out x Out block of outputs from a Tile x Tile block of the
  // padded input (Tile = Out + 2) with Tile^2 multiplications per (channel, filter) instead of
  // 9 Out^2: 16 instead of 36 for F(2x2), 36 instead of 144 for F(4x4). Per block of tiles: the
  // input tiles' transforms V = B^T d B (Tile^2 matrices of ch x tiles), Tile^2 products M = U V
  // with the transformed kernel U = G g G^T (m x ch each, through the GEMM kernel), and the
  // outputs A^T M A added to out. Channels and filters are innermost, so every transform is a
  // loop over contiguous values (vectors of them).
  template <std::size_t Out>
  struct WinogradMatrices;

  // When it pays (measured on AVX-512, 1 thread, against the direct convolution): channels and
  // filters at least a vector wide (narrower transforms run in scalar code: 8 channels were 18 %
  // slower) and 64 outputs per call. With the kernel's transform kept between calls
  // (transformed_kernel), one image: 14 x 14 x 32 -> 32 (Same) 25-32 us against 38-40 direct,
  // 14 x 14 x 32 -> 64 53-57 against 75-80, 13 x 13 x 32 -> 64 (Valid, 121 outputs) 37-45
  // against 52-57, 11 x 11 x 32 -> 32 (81) 15-19 against 19-21; 9 x 9 x 32 -> 32 (49) 14-17
  // against 12-14 and 7 x 7 x 64 -> 64 (49) 52-64 against 49-54 stay direct. At batch 64:
  // 28 x 28 x 16 -> 16 1.53x faster (F(4x4)), 14 x 14 x 32 -> 32 1.70x (F(2x2)).
  template <class T>
  static constexpr bool winograd_pays(std::size_t ch, std::size_t m, std::size_t outputs) {
    return ch >= small_gemm::lanes<T> && m >= small_gemm::lanes<T> && outputs >= 64;
  }

  // u: the transformed kernel (transform_kernel), read when n > 0.
  template <class T, std::size_t Out>
  void winograd(std::size_t ch, std::size_t m, const T* src, std::size_t src_h, std::size_t src_w,
                std::size_t top, std::size_t left, std::size_t out_h, std::size_t out_w, T* out,
                std::size_t n, const T* u) {
    constexpr std::size_t Tile = Out + 2, E = Tile * Tile;  // E: elements of a transformed tile
    // The GEMM kernel's tiles: one vector of rows for up to a vector of filters, else two.
    constexpr int Columns = small_gemm::columns_for<1>;  // the most of both
    const int vectors = m <= small_gemm::lanes<T> ? 1 : 2;
    const std::size_t rows = std::size_t(vectors) * small_gemm::lanes<T>;
    const std::size_t tiles_h = (out_h + Out - 1) / Out, tiles_w = (out_w + Out - 1) / Out;
    const std::size_t tiles = tiles_h * tiles_w, row_tiles = (m + rows - 1) / rows;
    const std::size_t padded_h = Out * tiles_h + 2, padded_w = Out * tiles_w + 2;
    // Tiles per block: V and M (E x (ch + m) values per tile) within about 512 KiB of L2.
    const std::size_t block = std::min(
        tiles, std::clamp<std::size_t>((512 * 1024 / sizeof(T)) / (E * (ch + m)), Columns, 1024));
    const std::size_t u_stride = row_tiles * rows * ch, stride = (block + Columns) * ch;
    auto& ws = workspace<T>();
    ws.padded.resize(std::max(ws.padded.size(), padded_h * padded_w * ch));
    // V keeps Columns tiles of zeros after a block: the kernel reads whole column tiles.
    ws.transformed.resize(std::max(ws.transformed.size(), E * stride));
    ws.products.resize(std::max(ws.products.size(), E * block * m));
    if (n == 0) return;
    T* v = ws.transformed.data();
    T* products = ws.products.data();
    const std::size_t no_offset = 0;
    const std::size_t row = padded_w * ch;
    // The kernel reads whole column tiles: the columns after the last tile are zeros.
    for (std::size_t e = 0; e < E; ++e)
      std::fill(v + e * stride + block * ch, v + (e + 1) * stride, T(0));
    for (std::size_t s = 0; s < n; ++s) {
      place(src + s * src_h * src_w * ch, src_h, src_w, ch, top, left, padded_h, padded_w,
            ws.padded.data());
      T* out_image = out + s * out_h * out_w * m;
      for (std::size_t b0 = 0; b0 < tiles; b0 += block) {
        const std::size_t count = std::min(block, tiles - b0);
        if (count < block)  // a short block: zeros after it instead of the last block's tiles
          for (std::size_t e = 0; e < E; ++e)
            std::fill(v + e * stride + count * ch, v + e * stride + block * ch, T(0));
        for (std::size_t t = 0; t < count; ++t) {
          const std::size_t ty = (b0 + t) / tiles_w, tx = (b0 + t) % tiles_w;
          const T* d = ws.padded.data() + (Out * ty * padded_w + Out * tx) * ch;
          lanewise<T>(ch, [&]<class U>(std::size_t c) {
            input_transform<U, Out>(d + c, row, ch, v + t * ch + c, stride);
          });
        }
        // M_e (m x count, column-major) = U_e V_e.
        auto multiply = [&]<int Vectors>() {
          constexpr int TileColumns = small_gemm::columns_for<Vectors>;
          T* dst[TileColumns];
          for (std::size_t e = 0; e < E; ++e) {
            T* me = products + e * count * m;
            for (std::size_t j0 = 0; j0 < count; j0 += std::size_t(TileColumns)) {
              const small_gemm::TileB<T> tile{v + e * stride + j0 * ch, 1, ch, ch, 1, &no_offset};
              for (std::size_t rt = 0; rt < row_tiles; ++rt) {
                for (std::size_t j = 0; j < std::size_t(TileColumns); ++j)
                  dst[j] = j0 + j < count ? me + (j0 + j) * m + rt * rows : nullptr;
                small_gemm::micro_kernel<T, Vectors, TileColumns, false>(
                    u + e * u_stride + rt * rows * ch, tile, dst, T(1),
                    std::min(rows, m - rt * rows));
              }
            }
          }
        };
        if (vectors == 1)
          multiply.template operator()<1>();
        else
          multiply.template operator()<2>();
        // out += A^T M A, the outputs that lie in the image.
        for (std::size_t t = 0; t < count; ++t) {
          const std::size_t ty = (b0 + t) / tiles_w, tx = (b0 + t) % tiles_w;
          const std::size_t oy = Out * ty, ox = Out * tx;
          const std::size_t live_h = std::min(Out, out_h - oy), live_w = std::min(Out, out_w - ox);
          T* y = out_image + (oy * out_w + ox) * m;
          lanewise<T>(m, [&]<class U>(std::size_t i) {
            output_transform<U, Out>(products + t * m + i, count * m, y + i, m, out_w * m, live_h,
                                     live_w);
          });
        }
      }
    }
  }

  // The kernel as Winograd's products read it, kept per layer (source: the layer's weights;
  // flipped: the input gradient's transposed kernel) with a copy of the weights it came from: a
  // call whose weights equal that copy reuses it. Predicting single images then skips the
  // transform (one 14 x 14 x 32 -> 32 image: 45 us with it against 38 direct); a training step,
  // whose weights changed, redoes it into the same buffers (no allocation after the first).
  template <class T, class Element>
  const T* transformed_kernel(bool four, std::size_t m, std::size_t ch, const T* source,
                              bool flipped, Element element) {
    auto& ws = workspace<T>();
    const std::size_t count = m * 9 * ch;
    TransformedKernel<T>* kept = nullptr;
    for (auto& k : ws.kernels)
      if (k.source == source && k.flipped == flipped && k.four == four && k.count == count) {
        kept = &k;
        break;
      }
    if (kept && std::equal(source, source + count, kept->weights.data())) return kept->u.data();
    if (!kept) {
      // At most this many layers' kernels, then the oldest entry is taken over.
      constexpr std::size_t most = 64;
      if (ws.kernels.size() < most)
        kept = &ws.kernels.emplace_back();
      else
        kept = &ws.kernels[ws.next_kernel++ % most];
      kept->source = source, kept->flipped = flipped, kept->four = four, kept->count = count;
    }
    // The kernel as the transform reads it (filter, tap, channel), so that its code does not
    // depend on the caller's layout: one instance per tile size instead of one per caller.
    ws.taps.resize(std::max(ws.taps.size(), count));
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t k = 0; k < 9 * ch; ++k) ws.taps[i * 9 * ch + k] = element(i, k);
    if (four)
      transform_kernel<T, 4>(ws.taps.data(), m, ch, kept->u);
    else
      transform_kernel<T, 2>(ws.taps.data(), m, ch, kept->u);
    kept->weights.resize(count);
    std::copy(source, source + count, kept->weights.data());
    return kept->u.data();
  }

  // taps: the kernel, filter by filter, each 9 taps (row-major) of ch channels.
  template <class T, std::size_t Out>
  void transform_kernel(const T* taps, std::size_t m, std::size_t ch, Buffer<T>& into) {
    using W = WinogradMatrices<Out>;
    constexpr std::size_t Tile = Out + 2, E = Tile * Tile;
    const std::size_t rows = (m <= small_gemm::lanes<T> ? 1 : 2) * small_gemm::lanes<T>;
    const std::size_t u_stride = (m + rows - 1) / rows * rows * ch;
    auto& ws = workspace<T>();
    ws.kernel.resize(std::max(ws.kernel.size(), E * m * ch));
    into.resize(E * u_stride);
    T* u = into.data();
    // U = G g G^T per (filter, channel) into `kernel` (E values each), then packed per element
    // as the kernel's A (m x ch): tile i / rows, column c, row i % rows, as pack_a lays it out.
    T* kernel = ws.kernel.data();
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t c = 0; c < ch; ++c) {
        T g[3][3], gg[Tile][3];
        for (std::size_t t = 0; t < 9; ++t) g[t / 3][t % 3] = taps[(i * 9 + t) * ch + c];
        for (std::size_t a = 0; a < Tile; ++a)
          for (std::size_t x = 0; x < 3; ++x)
            gg[a][x] = T(W::G[a][0]) * g[0][x] + T(W::G[a][1]) * g[1][x] + T(W::G[a][2]) * g[2][x];
        T* uc = kernel + (i * ch + c) * E;
        for (std::size_t a = 0; a < Tile; ++a)
          for (std::size_t b = 0; b < Tile; ++b)
            uc[a * Tile + b] =
                T(W::G[b][0]) * gg[a][0] + T(W::G[b][1]) * gg[a][1] + T(W::G[b][2]) * gg[a][2];
      }
    for (std::size_t e = 0; e < E; ++e) {
      T* to = u + e * u_stride;
      for (std::size_t r0 = 0; r0 < m; r0 += rows)
        for (std::size_t c = 0; c < ch; ++c, to += rows)
          for (std::size_t i = 0; i < rows; ++i)
            to[i] = r0 + i < m ? kernel[((r0 + i) * ch + c) * E + e] : T(0);
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
  template <class U>
  static auto scalar_type() {
    if constexpr (std::is_arithmetic_v<U>)
      return U{};
    else
      return U{}[0];
  }
  template <class U>
  using scalar_of = decltype(scalar_type<U>());
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
  // The 1-D transforms (B^T and A^T times a line of the tile), written out.
  template <std::size_t Out, class U>
  static void input_line(const U* d, U* r) {
    if constexpr (Out == 2) {
      r[0] = d[0] - d[2], r[1] = d[1] + d[2], r[2] = d[2] - d[1], r[3] = d[1] - d[3];
    } else {
      using S = scalar_of<U>;
      const U four_d1 = S(4) * d[1], four_d2 = S(4) * d[2], two_d1 = d[1] + d[1];
      const U two_d3 = d[3] + d[3];
      r[0] = S(4) * d[0] - S(5) * d[2] + d[4];
      r[1] = d[3] + d[4] - four_d1 - four_d2;
      r[2] = four_d1 - four_d2 - d[3] + d[4];
      r[3] = two_d3 - two_d1 - d[2] + d[4];
      r[4] = two_d1 - two_d3 - d[2] + d[4];
      r[5] = S(4) * d[1] - S(5) * d[3] + d[5];
    }
  }
  template <std::size_t Out, class U>
  static void output_line(const U* m, U* o) {
    if constexpr (Out == 2) {
      o[0] = m[0] + m[1] + m[2], o[1] = m[1] - m[2] - m[3];
    } else {
      using S = scalar_of<U>;
      const U sum12 = m[1] + m[2], diff12 = m[1] - m[2], sum34 = m[3] + m[4], diff34 = m[3] - m[4];
      o[0] = m[0] + sum12 + sum34;
      o[1] = diff12 + S(2) * diff34;
      o[2] = sum12 + S(4) * sum34;
      o[3] = diff12 + S(8) * diff34 + m[5];
    }
  }

  // V = B^T d B for the Tile x Tile block at d (rows `row` apart, pixels `ch` apart), element e
  // of V at v + e * stride.
  template <class U, std::size_t Out, class T>
  static void input_transform(const T* d, std::size_t row, std::size_t ch, T* v,
                              std::size_t stride) {
    constexpr std::size_t Tile = Out + 2;
    U r[Tile][Tile];  // r[a][x]: B^T applied down column x
    TG_UNROLL(8)
    for (std::size_t x = 0; x < Tile; ++x) {
      U column[Tile], transformed[Tile];
      TG_UNROLL(8)
      for (std::size_t y = 0; y < Tile; ++y) column[y] = load<U>(d + y * row + x * ch);
      input_line<Out>(column, transformed);
      TG_UNROLL(8)
      for (std::size_t a = 0; a < Tile; ++a) r[a][x] = transformed[a];
    }
    TG_UNROLL(8)
    for (std::size_t a = 0; a < Tile; ++a) {
      U transformed[Tile];
      input_line<Out>(r[a], transformed);
      TG_UNROLL(8)
      for (std::size_t b = 0; b < Tile; ++b) store(v + (a * Tile + b) * stride, transformed[b]);
    }
  }

  // y += A^T M A for M's elements at e + k * stride: output (a, b) at y + a * down + b * right,
  // for a < live_h, b < live_w (the rest lies outside the image).
  template <class U, std::size_t Out, class T>
  static void output_transform(const T* e, std::size_t stride, T* y, std::size_t right,
                               std::size_t down, std::size_t live_h, std::size_t live_w) {
    constexpr std::size_t Tile = Out + 2;
    U q[Tile][Out];  // q = M A
    TG_UNROLL(8)
    for (std::size_t a = 0; a < Tile; ++a) {
      U line[Tile];
      TG_UNROLL(8)
      for (std::size_t b = 0; b < Tile; ++b) line[b] = load<U>(e + (a * Tile + b) * stride);
      output_line<Out>(line, q[a]);
    }
    TG_UNROLL(8)
    for (std::size_t b = 0; b < Out; ++b) {
      U column[Tile], o[Out];
      TG_UNROLL(8)
      for (std::size_t a = 0; a < Tile; ++a) column[a] = q[a][b];
      output_line<Out>(column, o);
      TG_UNROLL(8)
      for (std::size_t a = 0; a < Out; ++a)
        if (a < live_h && b < live_w) {
          T* at = y + a * down + b * right;
          store(at, load<U>(at) + o[a]);
        }
    }
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
  struct TransformedKernel {
    const T* source = nullptr;
    bool flipped = false, four = false;
    std::size_t count = 0;
    Buffer<T> weights, u;  // the weights it was made from, and the packed transform
  };
  template <class T>
  struct Workspace {
    Buffer<T> padded, packed, transformed, products, kernel, taps, patches;
    Buffer<std::size_t> offsets;
    std::vector<TransformedKernel<T>> kernels;
    std::size_t next_kernel = 0;
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

// The kernel transform G of Lavin & Gray (interpolation points 0, -1, 1 for F(2x2); 0, +-1, +-2
// for F(4x4)); B^T and A^T are written out in input_line and output_line.
template <>
struct Convolution::WinogradMatrices<2> {
  static constexpr double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
};
template <>
struct Convolution::WinogradMatrices<4> {
  static constexpr double G[6][3] = {{1.0 / 4, 0, 0},
                                     {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                     {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                     {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                     {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                     {0, 0, 1}};
};

template <class T, class Winograd>
void Convolution::convolve(const WindowGeometry& g, const T* w, const T* x, T* y,
                           std::size_t filters, std::size_t n, Winograd) {
  const std::size_t f = filters;
  correlate<Winograd::value>(
      g.kernel_h, g.kernel_w, g.channels, f, x, g.in_h, g.in_w, g.pad_top, g.pad_left, g.out_h,
      g.out_w, y, n, [w, f](std::size_t i, std::size_t k) { return w[i + k * f]; }, w, false);
}

template <class T, class Winograd>
void Convolution::convolve_input_gradient(const WindowGeometry& g, const T* w, const T* dz, T* dx,
                                          std::size_t filters, std::size_t n, Winograd) {
  std::memset(dx, 0, n * g.in_size() * sizeof(T));
  const std::size_t f = filters, c = g.channels, last_tap = g.kernel_h * g.kernel_w - 1;
  // Row i (input channel), column k = tap * filters + filter of the flipped, transposed kernel.
  correlate<Winograd::value>(
      g.kernel_h, g.kernel_w, f, c, dz, g.out_h, g.out_w, g.kernel_h - 1 - g.pad_top,
      g.kernel_w - 1 - g.pad_left, g.in_h, g.in_w, dx, n,
      [w, f, c, last_tap](std::size_t i, std::size_t k) {
        return w[k % f + ((last_tap - k / f) * c + i) * f];
      },
      w, true);
}

template <class T>
void Convolution::convolve_weight_gradient(const WindowGeometry& g, const T* x, const T* dz, T* dw,
                                           std::size_t filters, std::size_t n) {
  if (filters <= small_gemm::lanes<T>)
    weight_gradient<T, 1>(g, x, dz, dw, filters, n);
  else
    weight_gradient<T, 2>(g, x, dz, dw, filters, n);
}

#if defined(TG_SEPARATE_COMPILATION)
#define TG_CONVOLUTION_INSTANCES(T, Winograd)                                             \
  TG_EXTERN_TEMPLATE void Convolution::convolve<T, Winograd>(                             \
      const WindowGeometry&, const T*, const T*, T*, std::size_t, std::size_t, Winograd); \
  TG_EXTERN_TEMPLATE void Convolution::convolve_input_gradient<T, Winograd>(              \
      const WindowGeometry&, const T*, const T*, T*, std::size_t, std::size_t, Winograd);
#define TG_WEIGHT_GRADIENT_INSTANCE(T)                              \
  TG_EXTERN_TEMPLATE void Convolution::convolve_weight_gradient<T>( \
      const WindowGeometry&, const T*, const T*, T*, std::size_t, std::size_t);
TG_WEIGHT_GRADIENT_INSTANCE(float)
TG_WEIGHT_GRADIENT_INSTANCE(double)
TG_CONVOLUTION_INSTANCES(float, std::true_type)
TG_CONVOLUTION_INSTANCES(float, std::false_type)
TG_CONVOLUTION_INSTANCES(double, std::true_type)
TG_CONVOLUTION_INSTANCES(double, std::false_type)
#undef TG_CONVOLUTION_INSTANCES
#undef TG_WEIGHT_GRADIENT_INSTANCE
#endif

}  // namespace tensorguard::cpu
