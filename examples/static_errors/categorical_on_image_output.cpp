// Rule: Categorical cross-entropy on an output that is not rank 1
// expect: categorical_loss_needs_a_rank_1_output_but_gets<tensorguard::Shape<8, 8, 3>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<8, 8, 1>>, tg::Conv2D<3, tg::Kernel<1>, tg::Softmax>>;
// Fix: Flatten (or GlobalAveragePool2D), then Dense<K, Softmax>.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<8, 8, 1>>, tg::Conv2D<3, tg::Kernel<1>, tg::ReLU>, tg::GlobalAveragePool2D, tg::Dense<3, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
