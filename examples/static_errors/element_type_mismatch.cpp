// Rule: Data and model element types differ (never silently converted)
// expect: dataset_element_type_differs_from_model<float, double>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  tg::Dataset<tg::Shape<784>, tg::ClassIndex<10>, double> data;  // Fix: float, or Input<S, double>
  model.fit(data);
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dense<10, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  tg::Dataset<tg::Shape<784>, tg::ClassIndex<10>, float> data;
  model.fit(data);
}
#endif
