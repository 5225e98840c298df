// The CUDA backend's kernel bodies: one functor per op, called with one index (an element, a
// sample, a channel). nvcc launches them over a grid; g++ calls them in a loop, so the test suite
// checks their math against Cpu on a machine without a GPU (tests/test_cuda_functors.cpp).
// Gathers and pooling visit their inputs in the CPU's order and match it bit for bit.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../../core/random.hpp"
#include "../../data/labels.hpp"
#include "../../detail/config.hpp"
#include "../geometry.hpp"

namespace tensorguard::cuda {

using std::size_t;

// ---- elementwise -----------------------------------------------------------------------------

template <class A, class T>
struct ActivationForward {
  const T* z;
  T* y;
  TG_HOST_DEVICE void operator()(size_t i) const { y[i] = A::forward(z[i]); }
};
template <class A, class T>
struct ActivationBackward {
  const T *z, *y, *dy;
  T* dz;
  TG_HOST_DEVICE void operator()(size_t i) const { dz[i] = dy[i] * A::derivative(z[i], y[i]); }
};

// One group of `classes` values per index, shifted by the group's maximum as on the CPU.
template <class T>
struct SoftmaxForward {
  const T* z;
  T* y;
  size_t classes;
  TG_HOST_DEVICE void operator()(size_t g) const {
    using std::exp;
    const T* zg = z + g * classes;
    T* yg = y + g * classes;
    T top = zg[0];
    for (size_t c = 1; c < classes; ++c) top = zg[c] > top ? zg[c] : top;
    T sum = 0;
    for (size_t c = 0; c < classes; ++c) sum += (yg[c] = exp(zg[c] - top));
    const T inv = T(1) / sum;
    for (size_t c = 0; c < classes; ++c) yg[c] *= inv;
  }
};
template <class T>
struct SoftmaxBackward {
  const T *y, *dy;
  T* dz;
  size_t classes;
  TG_HOST_DEVICE void operator()(size_t g) const {
    const size_t o = g * classes;
    T dot = 0;
    for (size_t c = 0; c < classes; ++c) dot += dy[o + c] * y[o + c];
    for (size_t c = 0; c < classes; ++c) dz[o + c] = y[o + c] * (dy[o + c] - dot);
  }
};

template <class T>
struct Fill {
  T* y;
  T value;
  TG_HOST_DEVICE void operator()(size_t i) const { y[i] = value; }
};
template <class T>
struct Accumulate {  // y += x
  const T* x;
  T* y;
  TG_HOST_DEVICE void operator()(size_t i) const { y[i] += x[i]; }
};
template <class T>
struct Add {  // z = x + y
  const T *x, *y;
  T* z;
  TG_HOST_DEVICE void operator()(size_t i) const { z[i] = x[i] + y[i]; }
};
template <class T>
struct Multiply {
  const T *x, *y;
  T* z;
  TG_HOST_DEVICE void operator()(size_t i) const { z[i] = x[i] * y[i]; }
};
// Y(:, j) = bias (rows x cols, column-major), or += bias.
template <class T, bool Add>
struct BiasColumns {
  T* y;
  const T* bias;
  size_t rows;
  TG_HOST_DEVICE void operator()(size_t i) const {
    if constexpr (Add)
      y[i] += bias[i % rows];
    else
      y[i] = bias[i % rows];
  }
};

// Inverted dropout. The CPU keeps unit i when counter_uniform(seed, offset + i) >= rate; that
// uniform is (bits >> 11) * 2^-53, so the same test in integers is (bits >> 11) >= keep_from,
// with keep_from = ceil(rate * 2^53) computed once on the host (dropout_keep_from).
template <class T>
struct Dropout {
  const T* x;
  T* y;
  T* mask;
  std::uint64_t seed, offset, keep_from;
  T keep_scale;
  TG_HOST_DEVICE void operator()(size_t i) const {
    const bool keep = (counter_bits(seed, offset + i) >> 11) >= keep_from;
    mask[i] = keep ? keep_scale : T(0);
    y[i] = x[i] * mask[i];
  }
};
inline std::uint64_t dropout_keep_from(double rate) {
  if (!(rate > 0)) return 0;
  const double scaled = rate * 0x1.0p53;  // exact: a power-of-two scaling
  const auto whole = std::uint64_t(scaled);
  return double(whole) == scaled ? whole : whole + 1;
}

// C = beta C + the sum of `slices` partial products (m x n each, contiguous): the end of a GEMM
// whose inner dimension was split across the GPU (a convolution's weight gradient).
template <class T>
struct SumSlices {
  const T* partial;
  size_t slices, m, n;
  T* c;
  size_t ldc;
  T beta;
  TG_HOST_DEVICE void operator()(size_t i) const {
    T sum = 0;
    for (size_t s = 0; s < slices; ++s) sum += partial[s * m * n + i];
    T& out = c[(i / m) * ldc + i % m];
    out = (beta == T(0) ? T(0) : beta * out) + sum;
  }
};

// dst row r = src row rows[r], `width` values a row: a training batch gathered from a dataset
// kept on the device.
template <class T>
struct GatherRows {
  const T* src;
  const std::uint32_t* rows;
  T* dst;
  size_t width;
  TG_HOST_DEVICE void operator()(size_t i) const {
    dst[i] = src[size_t(rows[i / width]) * width + i % width];
  }
};

// ---- optimizer updates (scalars that depend on the step are computed on the host) ----------

template <class T>
struct SgdStep {
  T* p;
  const T* g;
  T* velocity;
  T lr, momentum;
  bool nesterov;
  TG_HOST_DEVICE void operator()(size_t i) const {
    if (momentum == T(0)) {
      p[i] -= lr * g[i];
      return;
    }
    velocity[i] = momentum * velocity[i] - lr * g[i];
    p[i] += nesterov ? momentum * velocity[i] - lr * g[i] : velocity[i];
  }
};
template <class T>
struct AdamStep {
  T* p;
  const T* g;
  T *m, *v;
  T beta1, beta2, epsilon, step_size, inv_sqrt_c2, decay;
  TG_HOST_DEVICE void operator()(size_t i) const {
    using std::sqrt;
    m[i] = beta1 * m[i] + (T(1) - beta1) * g[i];
    v[i] = beta2 * v[i] + (T(1) - beta2) * (g[i] * g[i]);
    p[i] = p[i] * decay - step_size * m[i] / (sqrt(v[i]) * inv_sqrt_c2 + epsilon);
  }
};
template <class T>
struct RmspropStep {
  T* p;
  const T* g;
  T *v, *mom;
  T lr, rho, momentum, epsilon;
  TG_HOST_DEVICE void operator()(size_t i) const {
    using std::sqrt;
    v[i] = rho * v[i] + (T(1) - rho) * (g[i] * g[i]);
    if (momentum == T(0)) {
      p[i] -= lr * g[i] / (sqrt(v[i]) + epsilon);
    } else {
      mom[i] = momentum * mom[i] + lr * g[i] / (sqrt(v[i]) + epsilon);
      p[i] -= mom[i];
    }
  }
};

// ---- windows: one index per output value (gathers), in the CPU's order ------------------------

// cols(p, column) for column = sample * out_positions + position, p within the patch.
template <class T>
struct Im2col {
  WindowGeometry g;
  const T* x;
  T* cols;
  TG_HOST_DEVICE void operator()(size_t i) const {
    const size_t patch = g.patch_size(), c = g.channels;
    const size_t p = i % patch, column = i / patch;
    const size_t s = column / g.out_positions(), pos = column % g.out_positions();
    const size_t oy = pos / g.out_w, ox = pos % g.out_w;
    const size_t ch = p % c, kx = (p / c) % g.kernel_w, ky = p / (c * g.kernel_w);
    const std::ptrdiff_t iy = std::ptrdiff_t(oy * g.stride_h + ky) - std::ptrdiff_t(g.pad_top);
    const std::ptrdiff_t ix = std::ptrdiff_t(ox * g.stride_w + kx) - std::ptrdiff_t(g.pad_left);
    const bool inside =
        iy >= 0 && iy < std::ptrdiff_t(g.in_h) && ix >= 0 && ix < std::ptrdiff_t(g.in_w);
    cols[i] = inside ? x[s * g.in_size() + (size_t(iy) * g.in_w + size_t(ix)) * c + ch] : T(0);
  }
};

// The output windows covering input row (or column) `at`: [first, last) of out positions.
struct Covering {
  size_t first, last;
  TG_HOST_DEVICE static Covering of(size_t at, size_t pad, size_t kernel, size_t stride,
                                    size_t out) {
    const size_t padded = at + pad;  // window o covers it when o*stride <= padded < o*stride+k
    const size_t first = padded >= kernel ? (padded - kernel) / stride + 1 : 0;
    size_t last = padded / stride + 1;
    last = last < out ? last : out;
    return {first, first < last ? last : first};
  }
};

// Value i of a batch of input images: its sample, its offset in the sample, its channel and
// the output windows that read it.
struct InputValue {
  size_t sample, offset, channel;
  Covering ys, xs;
  TG_HOST_DEVICE static InputValue of(const WindowGeometry& g, size_t i) {
    const size_t c = g.channels, s = i / g.in_size(), r = i % g.in_size();
    const size_t ix = (r / c) % g.in_w, iy = r / (c * g.in_w);
    return {s, r, r % c, Covering::of(iy, g.pad_top, g.kernel_h, g.stride_h, g.out_h),
            Covering::of(ix, g.pad_left, g.kernel_w, g.stride_w, g.out_w)};
  }
  // f(oy, ox) for each output window that reads this value, in output order.
  template <class F>
  TG_HOST_DEVICE void for_each_window(F&& f) const {
    for (size_t oy = ys.first; oy < ys.last; ++oy)
      for (size_t ox = xs.first; ox < xs.last; ++ox) f(oy, ox);
  }
  // The position of this value inside window (oy, ox): ky * kernel_w + kx.
  TG_HOST_DEVICE size_t in_window(const WindowGeometry& g, size_t oy, size_t ox) const {
    const size_t pixel = offset / g.channels, iy = pixel / g.in_w, ix = pixel % g.in_w;
    return (iy + g.pad_top - oy * g.stride_h) * g.kernel_w + (ix + g.pad_left - ox * g.stride_w);
  }
};
// Value i of a batch of pooled outputs: its sample, channel and window.
struct OutputValue {
  size_t sample, channel, oy, ox;
  TG_HOST_DEVICE static OutputValue of(const WindowGeometry& g, size_t i) {
    const size_t c = g.channels, per_sample = g.out_positions() * c;
    const size_t r = i % per_sample, pos = r / c;
    return {i / per_sample, r % c, pos / g.out_w, pos % g.out_w};
  }
  // f(offset) for each unpadded input value of this window (offset within the sample), row by
  // row as the CPU visits them.
  template <class F>
  TG_HOST_DEVICE void for_each_input(const WindowGeometry& g, F&& f) const {
    for (size_t ky = 0; ky < g.kernel_h; ++ky) {
      const std::ptrdiff_t iy = std::ptrdiff_t(oy * g.stride_h + ky) - std::ptrdiff_t(g.pad_top);
      if (iy < 0 || iy >= std::ptrdiff_t(g.in_h)) continue;
      for (size_t kx = 0; kx < g.kernel_w; ++kx) {
        const std::ptrdiff_t ix = std::ptrdiff_t(ox * g.stride_w + kx) - std::ptrdiff_t(g.pad_left);
        if (ix >= 0 && ix < std::ptrdiff_t(g.in_w))
          f((size_t(iy) * g.in_w + size_t(ix)) * g.channels + channel);
      }
    }
  }
};

// dx at one input value: the sum of the patch gradients that read it, in output order.
template <class T>
struct Col2im {
  WindowGeometry g;
  const T* cols;
  T* dx;
  TG_HOST_DEVICE void operator()(size_t i) const {
    const InputValue v = InputValue::of(g, i);
    T sum = 0;
    v.for_each_window([&](size_t oy, size_t ox) {
      const size_t column = v.sample * g.out_positions() + oy * g.out_w + ox;
      sum += cols[column * g.patch_size() + v.in_window(g, oy, ox) * g.channels + v.channel];
    });
    dx[i] = sum;
  }
};

// One output value; argmax is the winner's offset within its sample. Windows inside the image
// start from their first value, padded ones from -infinity with offset 0, as the CPU's two paths.
template <class T>
struct MaxPoolForward {
  WindowGeometry g;
  const T* x;
  T* y;
  std::uint32_t* argmax;
  TG_HOST_DEVICE void operator()(size_t i) const {
    const OutputValue o = OutputValue::of(g, i);
    const T* img = x + o.sample * g.in_size();
    const bool inside = g.pad_top == 0 && g.pad_left == 0 &&
                        (g.out_h - 1) * g.stride_h + g.kernel_h <= g.in_h &&
                        (g.out_w - 1) * g.stride_w + g.kernel_w <= g.in_w;
    T best;
    std::uint32_t at = 0;
    if (inside) {
      at = std::uint32_t((o.oy * g.stride_h * g.in_w + o.ox * g.stride_w) * g.channels + o.channel);
      best = img[at];
    } else {
      best = -T(1) / T(0);  // -infinity without <limits> in device code
    }
    o.for_each_input(g, [&](size_t offset) {
      if (img[offset] > best) {
        best = img[offset];
        at = std::uint32_t(offset);
      }
    });
    y[i] = best;
    argmax[i] = at;
  }
};

// dx at one input value: the gradients of the windows it won, in output order.
template <class T>
struct MaxPoolBackward {
  WindowGeometry g;
  const T* dy;
  const std::uint32_t* argmax;
  T* dx;
  TG_HOST_DEVICE void operator()(size_t i) const {
    const InputValue v = InputValue::of(g, i);
    const size_t base = v.sample * g.out_positions() * g.channels;
    T sum = 0;
    v.for_each_window([&](size_t oy, size_t ox) {
      const size_t o = base + (oy * g.out_w + ox) * g.channels + v.channel;
      if (argmax[o] == std::uint32_t(v.offset)) sum += dy[o];
    });
    dx[i] = sum;
  }
};

// 1 / the number of valid (unpadded) pixels in output window (oy, ox), as TensorFlow averages.
template <class T>
TG_HOST_DEVICE T window_inverse_count(const WindowGeometry& g, size_t oy, size_t ox) {
  const std::ptrdiff_t y0 = std::ptrdiff_t(oy * g.stride_h) - std::ptrdiff_t(g.pad_top);
  const std::ptrdiff_t x0 = std::ptrdiff_t(ox * g.stride_w) - std::ptrdiff_t(g.pad_left);
  const std::ptrdiff_t y_lo = y0 > 0 ? y0 : 0, x_lo = x0 > 0 ? x0 : 0;
  std::ptrdiff_t y_hi = y0 + std::ptrdiff_t(g.kernel_h), x_hi = x0 + std::ptrdiff_t(g.kernel_w);
  y_hi = y_hi < std::ptrdiff_t(g.in_h) ? y_hi : std::ptrdiff_t(g.in_h);
  x_hi = x_hi < std::ptrdiff_t(g.in_w) ? x_hi : std::ptrdiff_t(g.in_w);
  return T(1) / T((y_hi - y_lo) * (x_hi - x_lo));
}

template <class T>
struct AvgPoolForward {
  WindowGeometry g;
  const T* x;
  T* y;
  TG_HOST_DEVICE void operator()(size_t i) const {
    const OutputValue o = OutputValue::of(g, i);
    const T inv = window_inverse_count<T>(g, o.oy, o.ox);
    const T* img = x + o.sample * g.in_size();
    T sum = 0;
    o.for_each_input(g, [&](size_t offset) { sum += img[offset] * inv; });
    y[i] = sum;
  }
};
template <class T>
struct AvgPoolBackward {
  WindowGeometry g;
  const T* dy;
  T* dx;
  TG_HOST_DEVICE void operator()(size_t i) const {
    const InputValue v = InputValue::of(g, i);
    const size_t base = v.sample * g.out_positions() * g.channels;
    T sum = 0;
    v.for_each_window([&](size_t oy, size_t ox) {
      sum += dy[base + (oy * g.out_w + ox) * g.channels + v.channel] *
             window_inverse_count<T>(g, oy, ox);
    });
    dx[i] = sum;
  }
};

// One (sample, channel) per index.
template <class T>
struct GlobalAvgPoolForward {
  const T* x;
  T* y;
  size_t pixels, channels;
  TG_HOST_DEVICE void operator()(size_t i) const {
    const size_t s = i / channels, ch = i % channels;
    const T* img = x + s * pixels * channels;
    T sum = 0;
    for (size_t p = 0; p < pixels; ++p) sum += img[p * channels + ch];
    y[i] = sum * (T(1) / T(pixels));
  }
};
template <class T>
struct GlobalAvgPoolBackward {
  const T* dy;
  T* dx;
  size_t pixels, channels;
  TG_HOST_DEVICE void operator()(size_t i) const {
    const size_t ch = i % channels, s = i / (pixels * channels);
    dx[i] = dy[s * channels + ch] * (T(1) / T(pixels));
  }
};

// ---- normalisation: per-value maps once a channel's statistics are known ---------------------

template <class T>
struct BatchNormInference {
  const T* x;
  T* y;
  const T *gamma, *beta, *mean, *var;
  size_t channels;
  T epsilon;
  TG_HOST_DEVICE void operator()(size_t i) const {
    using std::sqrt;
    const size_t c = i % channels;
    const T scale = gamma[c] / sqrt(var[c] + epsilon);
    const T shift = beta[c] - mean[c] * scale;
    y[i] = x[i] * scale + shift;
  }
};

// ---- per-sample values that a kernel sums into a slot of the step record ---------------------

// The loss of sample s; writes its gradient when grad is not null.
template <class Loss, class T, class L>
struct SampleLoss {
  const T* y;
  const L* labels;
  T* grad;
  size_t width, label_width;
  T scale;
  const T* weights = nullptr;  // each sample's weight (null: 1)
  TG_HOST_DEVICE double operator()(size_t s) const {
    const T w = weights ? weights[s] : T(1);
    return double(w) * double(Loss::sample(y + s * width, labels + s * label_width,
                                           grad ? grad + s * width : nullptr, width, scale * w));
  }
};

template <class T>
TG_HOST_DEVICE size_t argmax_of(const T* v, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

// How much of sample s is correct, by label kind (the rules of data/labels.hpp).
template <class T, class L>
struct SampleCorrect {
  const T* y;
  const L* labels;
  LabelKind kind;
  size_t width, label_width;
  T threshold;
  TG_HOST_DEVICE double operator()(size_t s) const {
    const T* ys = y + s * width;
    const L* t = labels + s * label_width;
    switch (kind) {
      case LabelKind::class_index:
        return double(std::int32_t(argmax_of(ys, width)) == std::int32_t(t[0]));
      case LabelKind::one_hot:
        return double(argmax_of(ys, width) == argmax_of(t, width));
      case LabelKind::binary:
        return double((ys[0] > threshold) == (T(t[0]) > T(0.5)));
      case LabelKind::multi_hot:
      case LabelKind::probability: {
        size_t agree = 0;
        for (size_t i = 0; i < width; ++i) agree += (ys[i] > threshold) == (T(t[i]) > T(0.5));
        return double(agree) / double(width);
      }
      default:
        return 0;
    }
  }
};

template <class T>
struct SquareOf {
  const T* x;
  TG_HOST_DEVICE double operator()(size_t i) const { return double(x[i]) * double(x[i]); }
};
template <class T>
struct SquaredDifference {
  const T *a, *b;
  TG_HOST_DEVICE double operator()(size_t i) const {
    const double d = double(a[i]) - double(b[i]);
    return d * d;
  }
};
template <class T>
struct Outside {
  const T* y;
  T lo, hi;
  TG_HOST_DEVICE double operator()(size_t i) const { return (y[i] < lo || y[i] > hi) ? 1.0 : 0.0; }
};
// flags[c] = 1 where a value on channel c (of `last`) is positive; racing writers store the same 1.
template <class T>
struct MarkActive {
  const T* y;
  size_t last;
  double* flags;
  TG_HOST_DEVICE void operator()(size_t i) const {
    if (y[i] > T(0)) flags[i % last] = 1;
  }
};

}  // namespace tensorguard::cuda
