// Rule: Model's third argument must be a backend
// expect: is not a tensorguard backend
// expect: fix: use tg::Cpu
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<3, tg::Softmax>>;
#ifndef TG_FIXED
struct MyGpu {};  // not a backend: no memory, no transfers, no ops
tg::Model<Net, tg::loss::SparseCategoricalCrossentropy, MyGpu> model;
#else
tg::Model<Net, tg::loss::SparseCategoricalCrossentropy, tg::Cpu> model;
#endif
int main() {}
