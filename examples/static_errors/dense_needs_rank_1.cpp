// Rule: Dense needs a rank-1 input
// expect: at_layer<4, tensorguard::Dense<10, tensorguard::Softmax> ?>
// expect: needs_rank_1_input_but_gets<tensorguard::Shape<13, 13, 32>
// expect: fix_insert_Flatten_before_it
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3, 3>, tg::ReLU>, tg::MaxPool2D<tg::Pool<2, 2>>,
                           tg::Dense<10, tg::Softmax>>;
// Fix: insert tg::Flatten before the Dense layer.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3, 3>, tg::ReLU>, tg::MaxPool2D<tg::Pool<2, 2>>,
                           tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
