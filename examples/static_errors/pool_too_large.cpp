// Rule: A pooling window larger than its input
// expect: at_layer<4, tensorguard::MaxPool2D<
// expect: window_larger_than_its_padded_input<tensorguard::Pool<4
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<12, 12, 1>>, tg::MaxPool2D<tg::Pool<2>>, tg::MaxPool2D<tg::Pool<2>>,
                           tg::MaxPool2D<tg::Pool<4>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
// Fix: the input is 3x3 by then; pool by 3 or use Same.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<12, 12, 1>>, tg::MaxPool2D<tg::Pool<2>>, tg::MaxPool2D<tg::Pool<2>>,
                           tg::MaxPool2D<tg::Pool<3>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
