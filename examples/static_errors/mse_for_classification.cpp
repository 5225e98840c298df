// Rule: A regression loss with class labels (the seed: mean squared error for classification)
// expect: with_loss<tensorguard::loss::MeanSquaredError
// expect: regression_loss_with_class_labels<tensorguard::ClassIndex<10
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::MeanSquaredError> model;  // Fix: SparseCategoricalCrossentropy
  tg::Dataset<tg::Shape<784>, tg::ClassIndex<10>> data;
  model.fit(data);
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  tg::Dataset<tg::Shape<784>, tg::ClassIndex<10>> data;
  model.fit(data);
}
#endif
