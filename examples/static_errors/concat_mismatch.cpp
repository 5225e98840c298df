// Rule: Concat needs equal dimensions except the axis
// expect: at_layer<2, tensorguard::Concat<-1
// expect: concat_needs_equal_dimensions_except_the_axis<-1, tensorguard::Shape<9, 9, 8>, tensorguard::Shape<7, 7, 4>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<9, 9, 3>>, tg::Concat<-1, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>, tg::Branch<tg::Conv2D<4, tg::Kernel<3>>>>, tg::Flatten, tg::Dense<2, tg::Softmax>>;
// Fix: tg::Same padding keeps the 3x3 branch at 9x9.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<9, 9, 3>>, tg::Concat<-1, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>, tg::Branch<tg::Conv2D<4, tg::Kernel<3>, tg::Same>>>, tg::Flatten, tg::Dense<2, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
