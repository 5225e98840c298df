// Rule: Categorical cross-entropy with fewer than 2 outputs
// expect: categorical_loss_needs_at_least_2_outputs_but_gets<tensorguard::Shape<1>
// expect: fix_for_two_classes_use_BinaryCrossentropy
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
// Fix: two classes are one Sigmoid unit with BinaryCrossentropy.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
int main() { tg::Model<Net, tg::loss::BinaryCrossentropy> model; }
#endif
