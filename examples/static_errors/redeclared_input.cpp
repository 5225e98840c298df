// Rule: Input appears exactly once, first (the seed re-declares the input shape on a later layer)
// expect: at_layer<3, tensorguard::Input<tensorguard::Shape<28, 28, 1>
// expect: Input_appears_again_only_layer_1_is_Input
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Flatten, tg::Input<tg::Shape<28, 28, 1>>, tg::Dense<10, tg::Softmax>>;
// Fix: remove the second Input; every later shape is computed.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
