// The two models every benchmark measures: the Fashion-MNIST MLP and CNN of the examples.
#pragma once
#include <tensorguard/tensorguard.hpp>

namespace bench {
namespace tg = tensorguard;
using Mlp = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Flatten, tg::Dense<128, tg::ReLU>,
                           tg::Dense<10, tg::Softmax>>;
using Cnn =
    tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3, 3>, tg::ReLU>,
                   tg::MaxPool2D<tg::Pool<2, 2>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
}  // namespace bench
