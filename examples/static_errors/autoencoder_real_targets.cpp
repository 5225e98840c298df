// Rule: Binary cross-entropy on real targets: targets in [0, 1] are declared Probability<S> (the valid autoencoder is the twin)
// expect: classification_loss_with_real_valued_labels<tensorguard::Real<tensorguard::Shape<784>
// expect: fix_use_MeanSquaredError_or_declare_targets_in_0_1_as<tensorguard::Probability<tensorguard::Shape<784>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
// Keras's first autoencoder: pixels in [0, 1] reconstructed through a 32-value code.
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<32, tg::ReLU>, tg::Dense<784, tg::Sigmoid>>;
int main() {
  tg::Model<Net, tg::loss::BinaryCrossentropy> model;
  tg::Dataset<tg::Shape<784>, tg::Real<tg::Shape<784>>> pixels;
  model.fit(pixels);  // Fix: Probability<Shape<784>> targets (checked to lie in [0, 1])
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<32, tg::ReLU>, tg::Dense<784, tg::Sigmoid>>;
int main() {
  tg::Model<Net, tg::loss::BinaryCrossentropy> model;
  tg::Dataset<tg::Shape<784>, tg::Probability<tg::Shape<784>>> pixels;
  model.fit(pixels);
}
#endif
