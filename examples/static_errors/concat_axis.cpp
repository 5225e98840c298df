// Rule: A Concat axis out of range
// expect: concat_axis_out_of_range_for_rank<3, 3
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Join = tg::Concat<3, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>, tg::Branch<tg::Conv2D<4, tg::Kernel<1>>>>;
using Net = tg::Sequential<tg::Input<tg::Shape<9, 9, 3>>, Join, tg::Flatten, tg::Dense<2, tg::Softmax>>;
// Fix: channels are axis 2 (or -1).
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Join = tg::Concat<2, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>, tg::Branch<tg::Conv2D<4, tg::Kernel<1>>>>;
using Net = tg::Sequential<tg::Input<tg::Shape<9, 9, 3>>, Join, tg::Flatten, tg::Dense<2, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
