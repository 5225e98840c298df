// Rule: Class indices given to the one-hot loss
// expect: class_indices_given_to_the_one_hot_loss<tensorguard::ClassIndex<10>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::CategoricalCrossentropy> model;  // Fix: SparseCategoricalCrossentropy
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
