// Rule: One-hot labels given to the sparse loss
// expect: one_hot_labels_given_to_the_sparse_loss<tensorguard::OneHot<10>
// expect: fix_use_the_loss<tensorguard::loss::CategoricalCrossentropy>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;  // Fix: CategoricalCrossentropy
  tg::Dataset<tg::Shape<784>, tg::OneHot<10>> data;
  model.fit(data);
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::CategoricalCrossentropy> model;
  tg::Dataset<tg::Shape<784>, tg::OneHot<10>> data;
  model.fit(data);
}
#endif
