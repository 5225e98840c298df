// The libtorch twins of bench/family.hpp: the same layers, shapes and initial-weight schemes'
// families (libtorch's defaults), NCHW (one input channel: the same memory as NHWC).
#pragma once
#include <torch/torch.h>

namespace bench::family_torch {
namespace nn = torch::nn;
inline nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t k, bool same) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).padding(same ? k / 2 : 0));
}

struct Vgg : nn::Module {
  nn::Conv2d c1{conv(1, 16, 3, true)}, c2{conv(16, 16, 3, true)}, c3{conv(16, 32, 3, true)},
      c4{conv(32, 32, 3, true)};
  nn::Linear fc1{7 * 7 * 32, 128}, fc2{128, 10};
  Vgg() {
    register_module("c1", c1), register_module("c2", c2), register_module("c3", c3);
    register_module("c4", c4), register_module("fc1", fc1), register_module("fc2", fc2);
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(c2(torch::relu(c1(x)))), 2);
    x = torch::max_pool2d(torch::relu(c4(torch::relu(c3(x)))), 2);
    return fc2(torch::relu(fc1(x.flatten(1))));
  }
};

struct BnCnn : nn::Module {
  nn::Conv2d c1{conv(1, 32, 3, false)}, c2{conv(32, 64, 3, false)};
  nn::BatchNorm2d b1{nn::BatchNorm2dOptions(32).momentum(0.01).eps(1e-3)},
      b2{nn::BatchNorm2dOptions(64).momentum(0.01).eps(1e-3)};
  nn::Linear fc{5 * 5 * 64, 10};
  BnCnn() {
    register_module("c1", c1), register_module("c2", c2), register_module("b1", b1);
    register_module("b2", b2), register_module("fc", fc);
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(b1(c1(x))), 2);
    x = torch::max_pool2d(torch::relu(b2(c2(x))), 2);
    return fc(x.flatten(1));
  }
};

struct ResCnn : nn::Module {
  nn::Conv2d stem{conv(1, 16, 3, true)}, a1{conv(16, 16, 3, true)}, a2{conv(16, 16, 3, true)},
      b1{conv(16, 16, 3, true)}, b2{conv(16, 16, 3, true)};
  nn::Linear fc{16, 10};
  ResCnn() {
    register_module("stem", stem), register_module("a1", a1), register_module("a2", a2);
    register_module("b1", b1), register_module("b2", b2), register_module("fc", fc);
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(stem(x));
    x = torch::max_pool2d(torch::relu(x + a2(torch::relu(a1(x)))), 2);
    x = torch::relu(x + b2(torch::relu(b1(x))));
    return fc(x.mean({2, 3}));
  }
};

struct Inception : nn::Module {
  nn::Conv2d p1{conv(1, 8, 1, false)}, p2a{conv(1, 8, 1, false)}, p2b{conv(8, 16, 3, true)},
      p3{conv(1, 8, 1, false)};
  nn::Linear fc{14 * 14 * 32, 10};
  Inception() {
    register_module("p1", p1), register_module("p2a", p2a), register_module("p2b", p2b);
    register_module("p3", p3), register_module("fc", fc);
  }
  torch::Tensor forward(torch::Tensor x) {
    auto a = torch::relu(p1(x));
    auto b = torch::relu(p2b(torch::relu(p2a(x))));
    auto c = torch::relu(p3(torch::max_pool2d(x, 3, 1, 1)));
    x = torch::max_pool2d(torch::cat({a, b, c}, 1), 2);
    return fc(x.flatten(1));
  }
};

struct DeepMlp : nn::Module {
  nn::Linear f1{784, 256}, f2{256, 128}, f3{128, 64}, f4{64, 10};
  nn::Dropout d1{0.2}, d2{0.2};
  DeepMlp() {
    register_module("f1", f1), register_module("f2", f2), register_module("f3", f3);
    register_module("f4", f4), register_module("d1", d1), register_module("d2", d2);
  }
  torch::Tensor forward(torch::Tensor x) {
    x = d1(torch::relu(f1(x.flatten(1))));
    x = d2(torch::relu(f2(x)));
    return f4(torch::relu(f3(x)));
  }
};

}  // namespace bench::family_torch
