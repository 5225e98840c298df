// Rule: A from-logits loss on a Softmax output (softmax applied twice)
// expect: from_logits_loss_but_the_output_already_applies<tensorguard::Softmax
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
// Fix: a Linear output, or the loss without FromLogits.
int main() { tg::Model<Net, tg::loss::FromLogits<tg::loss::SparseCategoricalCrossentropy>> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
