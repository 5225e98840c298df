// Rule: Concat on axis 1 of an image (axes are H, W, C)
// expect: at_layer<2, tensorguard::Concat<1,
// expect: concat_needs_equal_dimensions_except_the_axis<1, tensorguard::Shape<28, 28, 16>, tensorguard::Shape<28, 28, 8>
// expect: fix_concatenate_channels_with_axis_minus_1_axes_are_H_W_C
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 8>>, tg::Concat<1, tg::Branch<tg::Conv2D<16, tg::Kernel<1>>>, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }  // Fix: Concat<-1, ...>
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 8>>, tg::Concat<-1, tg::Branch<tg::Conv2D<16, tg::Kernel<1>>>, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
