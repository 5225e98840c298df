// Rule: A probability loss on a Linear (logits) output
// expect: with_loss<tensorguard::loss::SparseCategoricalCrossentropy
// expect: at_layer<3, tensorguard::Dense<10
// expect: probability_loss_on_a_Linear_output_of_logits
// expect: fix_end_with_Softmax_or_use_FromLogits
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10>>;
// Fix: Dense<10, Softmax>, or loss::FromLogits<SparseCategoricalCrossentropy>.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10>>;
int main() { tg::Model<Net, tg::loss::FromLogits<tg::loss::SparseCategoricalCrossentropy>> model; }
#endif
