// Convolution lowering and pooling of the CUDA backend: one thread per output value, each a
// gather in the CPU's order (no atomics, so results are deterministic and equal the CPU's).
#include "context.cuh"

namespace tensorguard::cuda {

template <class T>
void im2col(Context& c, const WindowGeometry& g, const T* x, T* cols, size_t n) {
  launch(c, Im2col<T>{g, x, cols}, n * g.out_positions() * g.patch_size(), "im2col");
}
template <class T>
void col2im(Context& c, const WindowGeometry& g, const T* cols, T* dx, size_t n) {
  launch(c, Col2im<T>{g, cols, dx}, n * g.in_size(), "col2im");
}
template <class T>
void max_pool_forward(Context& c, const WindowGeometry& g, const T* x, T* y, std::uint32_t* argmax,
                      size_t n) {
  launch(c, MaxPoolForward<T>{g, x, y, argmax}, n * g.out_positions() * g.channels,
         "max_pool_forward");
}
template <class T>
void max_pool_backward(Context& c, const WindowGeometry& g, const T* dy,
                       const std::uint32_t* argmax, T* dx, size_t n) {
  launch(c, MaxPoolBackward<T>{g, dy, argmax, dx}, n * g.in_size(), "max_pool_backward");
}
template <class T>
void avg_pool_forward(Context& c, const WindowGeometry& g, const T* x, T* y, size_t n) {
  launch(c, AvgPoolForward<T>{g, x, y}, n * g.out_positions() * g.channels, "avg_pool_forward");
}
template <class T>
void avg_pool_backward(Context& c, const WindowGeometry& g, const T* dy, T* dx, size_t n) {
  launch(c, AvgPoolBackward<T>{g, dy, dx}, n * g.in_size(), "avg_pool_backward");
}
template <class T>
void global_avg_pool_forward(Context& c, const T* x, T* y, size_t pixels, size_t channels,
                             size_t n) {
  launch(c, GlobalAvgPoolForward<T>{x, y, pixels, channels}, n * channels,
         "global_avg_pool_forward");
}
template <class T>
void global_avg_pool_backward(Context& c, const T* dy, T* dx, size_t pixels, size_t channels,
                              size_t n) {
  launch(c, GlobalAvgPoolBackward<T>{dy, dx, pixels, channels}, n * pixels * channels,
         "global_avg_pool_backward");
}

#define TG_INSTANTIATE(T)                                                                          \
  template void im2col<T>(Context&, const WindowGeometry&, const T*, T*, size_t);                  \
  template void col2im<T>(Context&, const WindowGeometry&, const T*, T*, size_t);                  \
  template void max_pool_forward<T>(Context&, const WindowGeometry&, const T*, T*, std::uint32_t*, \
                                    size_t);                                                       \
  template void max_pool_backward<T>(Context&, const WindowGeometry&, const T*,                    \
                                     const std::uint32_t*, T*, size_t);                            \
  template void avg_pool_forward<T>(Context&, const WindowGeometry&, const T*, T*, size_t);        \
  template void avg_pool_backward<T>(Context&, const WindowGeometry&, const T*, T*, size_t);       \
  template void global_avg_pool_forward<T>(Context&, const T*, T*, size_t, size_t, size_t);        \
  template void global_avg_pool_backward<T>(Context&, const T*, T*, size_t, size_t, size_t);
TG_INSTANTIATE(float)
#ifndef TG_CUDA_FLOAT_ONLY
TG_INSTANTIATE(double)
#endif
#undef TG_INSTANTIATE

}  // namespace tensorguard::cuda
