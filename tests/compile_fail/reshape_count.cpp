// Reshape must keep the element count.
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Reshape<tg::Shape<28, 27, 1>>,
                           tg::Flatten, tg::Dense<2, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
