// Rule: Stride 0
// expect: at_layer<2, tensorguard::Conv2D<
// expect: stride_must_be_positive<tensorguard::Stride<0
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<8, tg::Kernel<3>, tg::Stride<0>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
// Fix: strides start at 1.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<8, tg::Kernel<3>, tg::Stride<1>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
