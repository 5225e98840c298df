// The same two models in libtorch's C++ API, for the peer comparison and the compile-time twin.
#pragma once
#include <torch/torch.h>

namespace bench {
struct TorchMlp : torch::nn::Module {
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  TorchMlp() {
    fc1 = register_module("fc1", torch::nn::Linear(784, 128));
    fc2 = register_module("fc2", torch::nn::Linear(128, 10));
  }
  torch::Tensor forward(torch::Tensor x) {
    return fc2->forward(torch::relu(fc1->forward(x.view({x.size(0), 784}))));
  }
};
struct TorchCnn : torch::nn::Module {
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Linear fc{nullptr};
  TorchCnn() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3)));
    fc = register_module("fc", torch::nn::Linear(32 * 13 * 13, 10));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv->forward(x)), 2);
    return fc->forward(x.view({x.size(0), -1}));
  }
};
}  // namespace bench
