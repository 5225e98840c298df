// Fashion-MNIST datasets as libtorch tensors, for the peer benchmarks: NCHW (one channel: the
// same memory order as NHWC) and int64 class labels.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <tensorguard/tensorguard.hpp>

namespace bench {
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
