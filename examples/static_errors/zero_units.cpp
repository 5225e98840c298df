// Rule: Zero units, filters or kernel size
// expect: at_layer<3, tensorguard::Dense<0
// expect: units_must_be_positive
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<0, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
// Fix: a layer needs at least one unit.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<64, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
