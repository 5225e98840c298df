// Rule: tg::Cuda needs its header (and the compiled library): one error that says which
// expect: fix: for tg::Cuda, #include <tensorguard/backend/cuda.hpp> and link tensorguard::cuda
#include <tensorguard/tensorguard.hpp>
#ifdef TG_FIXED
#include <tensorguard/backend/cuda.hpp>
#endif
namespace tg = tensorguard;

using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<8, tg::ReLU>, tg::Dense<3, tg::Softmax>>;
int main() {
  // Fix: #include <tensorguard/backend/cuda.hpp>, link tensorguard::cuda.
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy, tg::Cuda> model;
  tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>> train;
  model.fit(train, {.epochs = 1});
}
