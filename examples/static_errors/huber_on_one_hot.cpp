// Rule: Huber loss on one-hot labels: the suggested loss takes one-hot labels
// expect: regression_loss_with_class_labels<tensorguard::OneHot<3>
// expect: fix_use_the_loss<tensorguard::loss::CategoricalCrossentropy>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<16, tg::ReLU>, tg::Dense<3, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::Huber> model;
  tg::Dataset<tg::Shape<4>, tg::OneHot<3>> iris;
  model.fit(iris);  // Fix: CategoricalCrossentropy
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<16, tg::ReLU>, tg::Dense<3, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::CategoricalCrossentropy> model;
  tg::Dataset<tg::Shape<4>, tg::OneHot<3>> iris;
  model.fit(iris);
}
#endif
