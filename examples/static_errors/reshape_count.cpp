// Rule: Reshape keeps the element count
// expect: at_layer<2, tensorguard::Reshape<tensorguard::Shape<28, 27, 1>
// expect: reshape_must_keep_the_element_count<tensorguard::Shape<784>, tensorguard::Shape<28, 27, 1>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Reshape<tg::Shape<28, 27, 1>>, tg::Flatten,
                           tg::Dense<10, tg::Softmax>>;
// Fix: 784 values are Shape<28, 28, 1>.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Reshape<tg::Shape<28, 28, 1>>, tg::Flatten,
                           tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
