// Rule: A residual block must keep its input shape
// expect: at_layer<3, tensorguard::Residual<
// expect: add_needs_branches_of_identical_shape<tensorguard::Shape<128>, tensorguard::Shape<64>
// expect: fix_end_the_residual_layers_with<tensorguard::Dense<128>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Residual<tg::Dense<64, tg::ReLU>>,
                           tg::Dense<10, tg::Softmax>>;
// Fix: end the block with Dense<128>, the width of its input.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Residual<tg::Dense<64, tg::ReLU>, tg::Dense<128>>,
                           tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
