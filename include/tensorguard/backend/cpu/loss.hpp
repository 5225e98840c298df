// Loss evaluation and metrics on the CPU: a loop over samples of the loss's per-sample function.
#pragma once
#include <cstddef>

namespace tensorguard::cpu {

struct LossOps {
  // Sum over n samples of Loss::sample; grad (if not null) receives d(mean loss)/d(output) for
  // a mean over `mean_over` samples (the whole batch, of which these n may be a micro-batch).
  template <class Loss, class T, class Label>
  static double loss(const T* y, const Label* labels, T* grad, std::size_t width,
                     std::size_t label_width, std::size_t n, std::size_t mean_over) {
    double total = 0;
    const T scale = T(1) / T(mean_over);
    for (std::size_t s = 0; s < n; ++s)
      total += double(Loss::sample(y + s * width, labels + s * label_width,
                                   grad ? grad + s * width : nullptr, width, scale));
    return total;
  }

  // Number of samples whose prediction the label kind calls correct.
  template <class Labels, class T, class Label>
  static std::size_t count_correct(const T* y, const Label* labels, std::size_t width,
                                   std::size_t n, T threshold) {
    std::size_t correct = 0;
    for (std::size_t s = 0; s < n; ++s)
      correct += Labels::correct(y + s * width, labels + s * Labels::width, width, threshold);
    return correct;
  }
};

}  // namespace tensorguard::cpu
