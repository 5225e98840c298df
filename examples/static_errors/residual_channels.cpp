// Rule: A residual block whose convolution changes the channel count
// expect: at_layer<2, tensorguard::Residual<
// expect: add_needs_branches_of_identical_shape<tensorguard::Shape<16, 16, 8>, tensorguard::Shape<16, 16, 16>
// expect: fix_end_the_residual_layers_with<tensorguard::Conv2D<8, tensorguard::Kernel<1
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<16, 16, 8>>, tg::Residual<tg::Conv2D<16, tg::Kernel<3>, tg::Same, tg::ReLU>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }  // Fix: a 1x1 projection back to 8
#else
using Net = tg::Sequential<tg::Input<tg::Shape<16, 16, 8>>, tg::Residual<tg::Conv2D<16, tg::Kernel<3>, tg::Same, tg::ReLU>, tg::Conv2D<8, tg::Kernel<1>>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
