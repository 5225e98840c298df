// A 5x5 kernel on a 3x3 feature map without padding leaves nothing.
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;
using Net = tg::Sequential<tg::Input<tg::Shape<3, 3, 8>>, tg::Conv2D<4, tg::Kernel<5>>, tg::Flatten,
                           tg::Dense<2, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
