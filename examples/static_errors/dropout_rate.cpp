// Rule: A dropout rate outside [0, 1)
// expect: at_layer<3, tensorguard::Dropout<
// expect: dropout_rate_must_be_in_0_inclusive_to_1_exclusive<std::ratio<3, 2
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dropout<tg::Rate<3, 2>>, tg::Dense<10, tg::Softmax>>;
// Fix: a rate is a probability below 1, e.g. Rate<50> for one half.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dropout<tg::Rate<50>>, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
