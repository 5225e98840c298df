// Rule: An option given twice (the second would be ignored)
// expect: at_layer<2, tensorguard::Conv2D<32,
// expect: option_given_twice<tensorguard::ReLU, tensorguard::Tanh>
// expect: fix_keep_one_of_them
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3>, tg::ReLU, tg::Tanh>, tg::Flatten,
                           tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }  // Fix: one activation
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3>, tg::ReLU>, tg::Flatten,
                           tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
