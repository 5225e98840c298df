// Rule: A merge path written as a bare layer instead of a Branch
// expect: at_layer<2, tensorguard::Concat<-1,
// expect: path_is_a_bare_layer_not_a_Branch<1, tensorguard::Conv2D<8,
// expect: fix_wrap_each_path_in_Branch_e_g<tensorguard::Branch<tensorguard::Conv2D<8,
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Concat<-1, tg::Conv2D<8, tg::Kernel<3>, tg::Same>, tg::Conv2D<8, tg::Kernel<1>>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }  // Fix: Branch<...> around each path
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Concat<-1, tg::Branch<tg::Conv2D<8, tg::Kernel<3>, tg::Same>>, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
