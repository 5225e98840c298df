// Fashion-MNIST datasets as libtorch tensors, for the peer benchmarks: NCHW (one channel: the
// same memory order as NHWC) and int64 class labels.
#pragma once
#include <dlfcn.h>
#include <torch/torch.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <tensorguard/tensorguard.hpp>

namespace bench {
// libtorch on `threads` threads, its BLAS included. torch::set_num_threads sets OpenMP's and
// MKL's count but not OpenBLAS's (Debian's libtorch calls libopenblas0-pthread for Linear layers),
// which starts one thread per core: a "1 thread" run gave libtorch's Dense layers 2 cores (the
// MLP's predict: 32 ms with them, 52 ms on one). Stops when the count cannot be confirmed.
inline void torch_threads(int threads) {
  torch::set_num_threads(threads);
  using Set = void (*)(int);
  using Get = int (*)();
  if (auto set = reinterpret_cast<Set>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(threads);
    auto get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    if (!get || get() != threads) {
      std::fprintf(stderr, "OpenBLAS runs on %d threads, not %d: the comparison would be unfair\n",
                   get ? get() : -1, threads);
      std::exit(1);
    }
  }
}

struct TorchData {
  torch::Tensor x, y;
};
inline TorchData to_torch(const tensorguard::data::FashionMnist& d) {
  auto x = torch::from_blob(const_cast<float*>(d.inputs().data()),
                            {std::int64_t(d.size()), 1, 28, 28}, torch::kFloat32)
               .clone();
  auto y = torch::from_blob(const_cast<std::int32_t*>(d.labels().data()), {std::int64_t(d.size())},
                            torch::kInt32)
               .to(torch::kInt64);
  return {x, y};
}
}  // namespace bench
