// Concatenating along channels tensors of different height and width.
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;
using Net = tg::Sequential<tg::Input<tg::Shape<9, 9, 3>>,
                           tg::Concat<-1, tg::Branch<tg::Conv2D<8, tg::Kernel<1>>>,
                                      tg::Branch<tg::Conv2D<4, tg::Kernel<3>>>>,
                           tg::Flatten, tg::Dense<2, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
