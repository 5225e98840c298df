// Rule: A Concat axis out of range
// expect: concat_axis_out_of_range_for_rank<3, 3
// expect: fix_concatenate_channels_with_axis_minus_1
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<9, 9, 3>>, tg::Concat<3, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>, tg::Branch<tg::Conv2D<4, tg::Kernel<1>>>>, tg::Flatten, tg::Dense<2, tg::Softmax>>;
// Fix: axes are H, W, C; the channels are axis -1.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<9, 9, 3>>, tg::Concat<-1, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>, tg::Branch<tg::Conv2D<4, tg::Kernel<1>>>>, tg::Flatten, tg::Dense<2, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
