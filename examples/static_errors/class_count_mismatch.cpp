// Rule: ClassIndex<K> with K different from the output width
// expect: labels_do_not_match_the_model_output<tensorguard::ClassIndex<5>, tensorguard::Shape<10>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;  // Fix: Dense<5, Softmax>
  tg::Dataset<tg::Shape<784>, tg::ClassIndex<5>> data;
  model.fit(data);
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<5, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  tg::Dataset<tg::Shape<784>, tg::ClassIndex<5>> data;
  model.fit(data);
}
#endif
