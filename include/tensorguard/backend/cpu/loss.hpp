// Loss evaluation and metrics on the CPU: a loop over samples of the loss's per-sample function.
#pragma once
#include <cstddef>

namespace tensorguard::cpu {

struct LossOps {
  // Sum over n samples of Loss::sample; grad (if not null) receives d(mean loss)/d(output) for
  // a mean over `mean_over` samples (the whole batch, of which these n may be a micro-batch).
  // The sum is added to *into, a slot of the step record the model reads once per step.
  // weights (if not null): each sample's weight, which scales its loss and its gradient.
  template <class Loss, class T, class Label>
  static void loss(const T* y, const Label* labels, T* grad, std::size_t width,
                   std::size_t label_width, std::size_t n, std::size_t mean_over, double* into,
                   const T* weights = nullptr) {
    double total = 0;
    const T scale = T(1) / T(mean_over);
    for (std::size_t s = 0; s < n; ++s) {
      const T w = weights ? weights[s] : T(1);
      total +=
          double(w) * double(Loss::sample(y + s * width, labels + s * label_width,
                                          grad ? grad + s * width : nullptr, width, scale * w));
    }
    *into += total;
  }

  // Number of samples whose prediction the label kind calls correct (multi-output kinds count
  // each sample's fraction of correct outputs).
  template <class Labels, class T, class Label>
  static void count_correct(const T* y, const Label* labels, std::size_t width, std::size_t n,
                            T threshold, double* into) {
    double correct = 0;
    for (std::size_t s = 0; s < n; ++s)
      correct +=
          double(Labels::correct(y + s * width, labels + s * Labels::width, width, threshold));
    *into += correct;
  }

  // Reductions for the training guards, each added to a slot of the step record.
  template <class T>
  static void sum_squares(const T* x, std::size_t n, double* into) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += double(x[i]) * double(x[i]);
    *into += sum;
  }
  template <class T>
  static void sum_squared_difference(const T* a, const T* b, std::size_t n, double* into) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double d = double(a[i]) - double(b[i]);
      sum += d * d;
    }
    *into += sum;
  }
  // flags[c] = 1 where any of the count values on channel c (the last axis, `last` wide) is
  // positive: a ReLU unit that was active.
  template <class T>
  static void mark_active(const T* y, std::size_t count, std::size_t last, double* flags) {
    for (std::size_t g = 0; g < count; g += last)
      for (std::size_t c = 0; c < last; ++c)
        if (y[g + c] > T(0)) flags[c] = 1;
  }
  // Values outside [lo, hi]: saturated Sigmoid/Tanh outputs.
  template <class T>
  static void count_outside(const T* y, std::size_t n, T lo, T hi, double* into) {
    std::size_t outside = 0;
    for (std::size_t i = 0; i < n; ++i) outside += (y[i] < lo || y[i] > hi);
    *into += double(outside);
  }
};

}  // namespace tensorguard::cpu
