// Rule: Mean squared error on binary labels: the suggested loss fits the 1-unit output
// expect: regression_loss_with_class_labels<tensorguard::Binary>
// expect: fix_use_the_loss<tensorguard::loss::BinaryCrossentropy>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<8>>, tg::Dense<16, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
int main() {
  tg::Model<Net, tg::loss::MeanSquaredError> model;
  tg::Dataset<tg::Shape<8>, tg::Binary> pima;
  model.fit(pima);  // Fix: BinaryCrossentropy
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<8>>, tg::Dense<16, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
int main() {
  tg::Model<Net, tg::loss::BinaryCrossentropy> model;
  tg::Dataset<tg::Shape<8>, tg::Binary> pima;
  model.fit(pima);
}
#endif
