// Rule: The model starts with Input
// expect: at_layer<1, tensorguard::Dense<128, tensorguard::ReLU>
// expect: first_layer_must_be_Input
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
// Fix: start with tg::Input<tg::Shape<784>>.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
