// Rule: A kernel larger than its (padded) input leaves an empty output
// expect: at_layer<3, tensorguard::Conv2D<
// expect: window_larger_than_its_padded_input<tensorguard::Kernel<5
// expect: tensorguard::Shape<3, 3, 8>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<7, 7, 1>>, tg::Conv2D<8, tg::Kernel<5>, tg::ReLU>, tg::Conv2D<8, tg::Kernel<5>>,
                           tg::Flatten, tg::Dense<10, tg::Softmax>>;
// Fix: tg::Same padding or a smaller kernel.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<7, 7, 1>>, tg::Conv2D<8, tg::Kernel<5>, tg::ReLU>, tg::Conv2D<8, tg::Kernel<5>, tg::Same>,
                           tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
