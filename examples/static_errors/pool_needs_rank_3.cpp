// Rule: Pooling needs a rank-3 input
// expect: at_layer<3, tensorguard::MaxPool2D<
// expect: needs_rank_3_input_height_width_channels_but_gets<tensorguard::Shape<128>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::MaxPool2D<tg::Pool<2, 2>>,
                           tg::Dense<10, tg::Softmax>>;
// Fix: pool image tensors, before Flatten/Dense.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::MaxPool2D<tg::Pool<2, 2>>, tg::Flatten,
                           tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
