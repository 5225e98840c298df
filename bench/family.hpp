// The benchmark family (issue 14): networks that were not tuned for, beside the two examples,
// each with its libtorch twin in family_torch.hpp. Fashion-MNIST shapes (28 x 28 x 1, 10 classes).
#pragma once
#include <tensorguard/tensorguard.hpp>

namespace bench::family {
namespace tg = tensorguard;
using In = tg::Input<tg::Shape<28, 28, 1>>;
using Out = tg::Dense<10, tg::Softmax>;

// Two 3x3 Same convolutions of 16, pooling, two of 32, pooling, Dense 128 (VGG's pattern).
using Vgg =
    tg::Sequential<In, tg::Conv2D<16, tg::Kernel<3>, tg::Same, tg::ReLU>,
                   tg::Conv2D<16, tg::Kernel<3>, tg::Same, tg::ReLU>, tg::MaxPool2D<tg::Pool<2>>,
                   tg::Conv2D<32, tg::Kernel<3>, tg::Same, tg::ReLU>,
                   tg::Conv2D<32, tg::Kernel<3>, tg::Same, tg::ReLU>, tg::MaxPool2D<tg::Pool<2>>,
                   tg::Flatten, tg::Dense<128, tg::ReLU>, Out>;
// Conv 32 -> BN -> ReLU -> pool -> Conv 64 -> BN -> ReLU -> pool -> Dense.
using BnCnn =
    tg::Sequential<In, tg::Conv2D<32, tg::Kernel<3>>, tg::BatchNormalization,
                   tg::Activation<tg::ReLU>, tg::MaxPool2D<tg::Pool<2>>,
                   tg::Conv2D<64, tg::Kernel<3>>, tg::BatchNormalization, tg::Activation<tg::ReLU>,
                   tg::MaxPool2D<tg::Pool<2>>, tg::Flatten, Out>;
// A stem, two residual blocks of two Same convolutions, pooling, global average, Dense.
using Block = tg::Residual<tg::Conv2D<16, tg::Kernel<3>, tg::Same, tg::ReLU>,
                           tg::Conv2D<16, tg::Kernel<3>, tg::Same>>;
using ResCnn = tg::Sequential<In, tg::Conv2D<16, tg::Kernel<3>, tg::Same, tg::ReLU>, Block,
                              tg::Activation<tg::ReLU>, tg::MaxPool2D<tg::Pool<2>>, Block,
                              tg::Activation<tg::ReLU>, tg::GlobalAveragePool2D, Out>;
// An Inception block: 1x1, 3x3 and pooled paths joined on the channels.
using Inception =
    tg::Sequential<In,
                   tg::Concat<-1, tg::Branch<tg::Conv2D<8, tg::Kernel<1>, tg::ReLU>>,
                              tg::Branch<tg::Conv2D<8, tg::Kernel<1>, tg::ReLU>,
                                         tg::Conv2D<16, tg::Kernel<3>, tg::Same, tg::ReLU>>,
                              tg::Branch<tg::MaxPool2D<tg::Pool<3>, tg::Stride<1>, tg::Same>,
                                         tg::Conv2D<8, tg::Kernel<1>, tg::ReLU>>>,
                   tg::MaxPool2D<tg::Pool<2>>, tg::Flatten, Out>;
// Three hidden layers with Dropout between them.
using DeepMlp = tg::Sequential<In, tg::Flatten, tg::Dense<256, tg::ReLU>, tg::Dropout<tg::Rate<20>>,
                               tg::Dense<128, tg::ReLU>, tg::Dropout<tg::Rate<20>>,
                               tg::Dense<64, tg::ReLU>, Out>;

}  // namespace bench::family
