// Rule: A Flatten before a convolution (the fix depends on the layer before)
// expect: at_layer<3, tensorguard::Conv2D<
// expect: needs_rank_3_input_height_width_channels_but_gets<tensorguard::Shape<784>
// expect: fix_move_this_Flatten_after_the_image_layers<tensorguard::at_layer<2, tensorguard::Flatten
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Flatten, tg::Conv2D<32, tg::Kernel<3>, tg::ReLU>,
                           tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }  // Fix: Flatten after Conv2D
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3>, tg::ReLU>, tg::Flatten,
                           tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
