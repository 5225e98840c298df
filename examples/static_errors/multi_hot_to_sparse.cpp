// Rule: Multi-label targets given to a one-class-per-sample loss (the valid multi-label model is the twin)
// expect: with_loss<tensorguard::loss::SparseCategoricalCrossentropy
// expect: multi_hot_labels_given_to_a_categorical_loss<tensorguard::MultiHot<5>
// expect: fix_use_the_loss_after<tensorguard::loss::BinaryCrossentropy, tensorguard::Dense<5, tensorguard::Sigmoid
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
// Five tags per image, any number of them on: one Softmax over the tags cannot say "cat and dog".
using Net = tg::Sequential<tg::Input<tg::Shape<64>>, tg::Dense<32, tg::ReLU>, tg::Dense<5, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  tg::Dataset<tg::Shape<64>, tg::MultiHot<5>> tags;
  model.fit(tags);  // Fix: BinaryCrossentropy after Dense<5, Sigmoid>
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<64>>, tg::Dense<32, tg::ReLU>, tg::Dense<5, tg::Sigmoid>>;
int main() {
  tg::Model<Net, tg::loss::BinaryCrossentropy> model;
  tg::Dataset<tg::Shape<64>, tg::MultiHot<5>> tags;
  model.fit(tags);
}
#endif
