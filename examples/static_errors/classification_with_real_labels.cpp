// Rule: A classification loss with real-valued labels
// expect: classification_loss_with_real_valued_labels<tensorguard::Real<tensorguard::Shape<10>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;  // Fix: MeanSquaredError
  tg::Dataset<tg::Shape<784>, tg::Real<tg::Shape<10>>> data;
  model.fit(data);
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10>>;
int main() {
  tg::Model<Net, tg::loss::MeanSquaredError> model;
  tg::Dataset<tg::Shape<784>, tg::Real<tg::Shape<10>>> data;
  model.fit(data);
}
#endif
