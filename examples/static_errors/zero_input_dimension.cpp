// Rule: An Input axis of size 0
// expect: at_layer<1, tensorguard::Input<tensorguard::Shape<0, 64, 1>
// expect: input_dimensions_must_be_positive_but_gets<tensorguard::Shape<0, 64, 1>
// expect: fix_give_each_axis_its_size
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<0, 64, 1>>, tg::Conv2D<8, tg::Kernel<3>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }  // Fix: the height, 64
#else
using Net = tg::Sequential<tg::Input<tg::Shape<64, 64, 1>>, tg::Conv2D<8, tg::Kernel<3>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
