// Rule: GlobalAveragePool2D after a Flatten
// expect: at_layer<4, tensorguard::GlobalAveragePool2D>
// expect: needs_rank_3_input_height_width_channels_but_gets<tensorguard::Shape<21632>
// expect: fix_remove_this_Flatten<tensorguard::at_layer<3, tensorguard::Flatten
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3>, tg::ReLU>, tg::Flatten,
                           tg::GlobalAveragePool2D, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }  // Fix: remove the Flatten
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3>, tg::ReLU>,
                           tg::GlobalAveragePool2D, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
