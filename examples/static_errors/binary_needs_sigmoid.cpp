// Rule: Binary cross-entropy needs a Sigmoid output
// expect: binary_crossentropy_needs_a_Sigmoid_output_but_gets<tensorguard::ReLU
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<1, tg::ReLU>>;
// Fix: Dense<1, Sigmoid>.
int main() { tg::Model<Net, tg::loss::BinaryCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
int main() { tg::Model<Net, tg::loss::BinaryCrossentropy> model; }
#endif
