// Rule: A mistake inside a branch names the merge, the branch and the layer
// expect: at_layer<2, tensorguard::Concat<
// expect: tensorguard::in_branch<2>, tensorguard::at_layer<1, tensorguard::Dense<4
// expect: needs_rank_1_input_but_gets<tensorguard::Shape<9, 9, 3>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<9, 9, 3>>, tg::Concat<-1, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>, tg::Branch<tg::Dense<4>>>, tg::Flatten, tg::Dense<2, tg::Softmax>>;
// Fix: a 1x1 convolution is the per-pixel dense layer.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<9, 9, 3>>, tg::Concat<-1, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>, tg::Branch<tg::Conv2D<4, tg::Kernel<1>>>>, tg::Flatten, tg::Dense<2, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
