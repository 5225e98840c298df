// Rule: A dataset whose input shape differs from the model input
// expect: dataset_input_shape_differs_from_model_input<tensorguard::Shape<784>, tensorguard::Shape<28, 28, 1>
// expect: fix_declare_then_reshape<tensorguard::Input<tensorguard::Shape<28, 28, 1>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  auto [train, test] = tg::data::fashion_mnist();  // Fix: Input<Shape<28, 28, 1>>, Reshape<Shape<784>>
  model.fit(train);
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Reshape<tg::Shape<784>>, tg::Dense<128, tg::ReLU>,
                           tg::Dense<10, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  auto [train, test] = tg::data::fashion_mnist();
  model.fit(train);
}
#endif
