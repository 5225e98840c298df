// Rule: Softmax on a single unit
// expect: at_layer<3, tensorguard::Dense<1, tensorguard::Softmax
// expect: Softmax_over_a_single_value_always_outputs_1
// expect: fix_use_Sigmoid_for_a_single_output
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<1, tg::Softmax>>;
// Fix: one probability is a Sigmoid.
int main() { tg::Model<Net, tg::loss::BinaryCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
int main() { tg::Model<Net, tg::loss::BinaryCrossentropy> model; }
#endif
