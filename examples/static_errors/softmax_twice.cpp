// Rule: Softmax followed by Softmax
// expect: at_layer<4, tensorguard::Activation<tensorguard::Softmax
// expect: Softmax_applied_twice_after<tensorguard::at_layer<3, tensorguard::Dense<10, tensorguard::Softmax
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>, tg::Activation<tg::Softmax>>;
// Fix: remove the extra Activation.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
