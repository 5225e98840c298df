// Built against the installed package by the install_and_consume test.
#include <tensorguard/tensorguard.hpp>

// tensorguard::native compiles for this machine: a CPU of the last decade has SSE4.2, which
// the x86-64 baseline (no -march) does not enable.
#if defined(TG_EXPECT_NATIVE) && defined(__x86_64__) && !defined(__SSE4_2__)
#error "tensorguard::native did not add -march=native"
#endif

namespace tg = tensorguard;
using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<3, tg::Softmax>>;

int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  const std::vector<float> x{0.1f, 0.2f, 0.3f, 0.4f};
  const auto y = model.predict(x);
  return y.size() == 3 && y[0] + y[1] + y[2] > 0.99f ? 0 : 1;
}
