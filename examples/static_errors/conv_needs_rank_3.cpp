// Rule: Conv2D needs a rank-3 input (height, width, channels)
// expect: at_layer<2, tensorguard::Conv2D<
// expect: needs_rank_3_input_height_width_channels_but_gets<tensorguard::Shape<28, 28>
// expect: fix_insert_before_it<tensorguard::Reshape<tensorguard::Shape<28, 28, 1>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28>>, tg::Conv2D<32, tg::Kernel<3, 3>, tg::ReLU>, tg::Flatten,
                           tg::Dense<10, tg::Softmax>>;
// Fix: Reshape<Shape<28, 28, 1>> before it adds the channel axis (the data keeps its shape).
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28>>, tg::Reshape<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3, 3>, tg::ReLU>,
                           tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
