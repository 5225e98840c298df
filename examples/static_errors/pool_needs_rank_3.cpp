// Rule: Pooling needs a rank-3 input
// expect: at_layer<2, tensorguard::MaxPool2D<
// expect: needs_rank_3_input_height_width_channels_but_gets<tensorguard::Shape<784>
// expect: fix_insert_before_it<tensorguard::Reshape<tensorguard::Shape<28, 28, 1>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
// Rows of a CSV file, 784 pixels each, given to image layers as they are.
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::MaxPool2D<tg::Pool<2, 2>>, tg::Flatten,
                           tg::Dense<10, tg::Softmax>>;
// Fix: Reshape<Shape<28, 28, 1>> before the pooling.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Reshape<tg::Shape<28, 28, 1>>,
                           tg::MaxPool2D<tg::Pool<2, 2>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
