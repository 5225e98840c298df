// Rule: An optimizer where the loss belongs: one error, even with fit called
// expect: is_not_a_loss<tensorguard::optim::Adam>
// expect: fix_use_a_loss_from_tensorguard_loss
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<8, tg::ReLU>, tg::Dense<3, tg::Softmax>>;
#ifndef TG_FIXED
int main() {
  tg::Model<Net, tg::optim::Adam> model;  // Fix: a loss, e.g. tg::loss::SparseCategoricalCrossentropy
  tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>> train;
  model.fit(train, {.epochs = 1});
}
#else
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>> train;
  model.fit(train, {.epochs = 1});
}
#endif
