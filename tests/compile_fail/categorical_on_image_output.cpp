// A categorical cross-entropy over an image output would treat all pixels as one distribution.
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;
using Net =
    tg::Sequential<tg::Input<tg::Shape<8, 8, 1>>, tg::Conv2D<3, tg::Kernel<1>, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
