// Rule: An activation written where a layer belongs
// expect: at_layer<3, tensorguard::ReLU>
// expect: is_an_activation_not_a_layer, tensorguard::fix_write_it_as<tensorguard::Activation<tensorguard::ReLU>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128>, tg::ReLU, tg::Dense<10, tg::Softmax>>;
// Fix: tg::Activation<tg::ReLU>, or Dense<128, ReLU>.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128>, tg::Activation<tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
