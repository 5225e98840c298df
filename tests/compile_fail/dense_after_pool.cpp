// Dense fed an image: the compiler must name the layer, the shape and the fix.
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3>, tg::ReLU>,
                           tg::MaxPool2D<tg::Pool<2>>, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
