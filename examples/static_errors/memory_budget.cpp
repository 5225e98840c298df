// Rule: A model over its stated memory budget (opt-in)
// expect: memory_budget_exceeded_at_batch<4096>
// expect: needs_bytes<
// expect: budget_bytes<67108864>
// expect: fix_largest_batch_that_fits<
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3, 3>, tg::ReLU>, tg::MaxPool2D<tg::Pool<2, 2>>,
                           tg::Flatten, tg::Dense<10, tg::Softmax>>;
// Fix: a smaller batch (the error names the largest that fits), or a larger budget.
static_assert(tg::fits_memory_budget<Net, 4096, 64 * tg::MiB>);
int main() {}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3, 3>, tg::ReLU>, tg::MaxPool2D<tg::Pool<2, 2>>,
                           tg::Flatten, tg::Dense<10, tg::Softmax>>;
static_assert(tg::fits_memory_budget<Net, 64, 64 * tg::MiB>);
int main() {}
#endif
