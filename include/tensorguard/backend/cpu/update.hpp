// Optimizer updates over flat parameter arrays on the CPU.
#pragma once
#include <Eigen/Core>
#include <cmath>
#include <cstddef>

#include "../../detail/config.hpp"

namespace tensorguard::cpu {

struct Update {
  // Keras's SGD: v = momentum v - lr g; p += v (or, Nesterov, p += momentum v - lr g).
  template <class T>
  static void sgd(T* __restrict p, const T* __restrict g, T* __restrict velocity, std::size_t n,
                  T lr, T momentum, bool nesterov);

  // Adam with bias correction (Kingma & Ba); weight_decay > 0 gives AdamW's decoupled decay,
  // applied to the weights before the Adam step as in Loshchilov & Hutter. Eigen arrays: their
  // sqrt vectorises (std::sqrt's errno handling keeps a plain loop scalar).
  template <class T>
  static void adam(T* p, const T* g, T* m, T* v, std::size_t n, T lr, T beta1, T beta2, T epsilon,
                   long step, T weight_decay);

  // RMSProp as in Keras: v = rho v + (1 - rho) g^2; step = lr g / (sqrt(v) + eps), with momentum.
  template <class T>
  static void rmsprop(T* p, const T* g, T* v, T* mom, std::size_t n, T lr, T rho, T momentum,
                      T epsilon);
};

template <class T>
void Update::sgd(T* __restrict p, const T* __restrict g, T* __restrict velocity, std::size_t n,
                 T lr, T momentum, bool nesterov) {
  if (momentum == T(0)) {
    for (std::size_t i = 0; i < n; ++i) p[i] -= lr * g[i];
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    velocity[i] = momentum * velocity[i] - lr * g[i];
    p[i] += nesterov ? momentum * velocity[i] - lr * g[i] : velocity[i];
  }
}

template <class T>
void Update::adam(T* p, const T* g, T* m, T* v, std::size_t n, T lr, T beta1, T beta2, T epsilon,
                  long step, T weight_decay) {
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  const auto size = Eigen::Index(n);
  Eigen::Map<A> P(p, size), M(m, size), V(v, size);
  const Eigen::Map<const A> G(g, size);
  const T correction1 = T(1) - T(std::pow(double(beta1), double(step)));
  const T correction2 = T(1) - T(std::pow(double(beta2), double(step)));
  const T step_size = lr / correction1;
  const T inv_sqrt_c2 = T(1) / std::sqrt(correction2);
  const T decay = T(1) - lr * weight_decay;
  M = beta1 * M + (T(1) - beta1) * G;
  V = beta2 * V + (T(1) - beta2) * G.square();
  P = P * decay - step_size * M / (V.sqrt() * inv_sqrt_c2 + epsilon);
}

template <class T>
void Update::rmsprop(T* p, const T* g, T* v, T* mom, std::size_t n, T lr, T rho, T momentum,
                     T epsilon) {
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  const auto size = Eigen::Index(n);
  Eigen::Map<A> P(p, size), V(v, size), Mom(mom, size);
  const Eigen::Map<const A> G(g, size);
  V = rho * V + (T(1) - rho) * G.square();
  if (momentum == T(0)) {
    P -= lr * G / (V.sqrt() + epsilon);
  } else {
    Mom = momentum * Mom + lr * G / (V.sqrt() + epsilon);
    P -= Mom;
  }
}

#if defined(TG_SEPARATE_COMPILATION)
TG_EXTERN_TEMPLATE void Update::sgd<float>(float* __restrict p, const float* __restrict g,
                                           float* __restrict velocity, std::size_t n, float lr,
                                           float momentum, bool nesterov);
TG_EXTERN_TEMPLATE void Update::sgd<double>(double* __restrict p, const double* __restrict g,
                                            double* __restrict velocity, std::size_t n, double lr,
                                            double momentum, bool nesterov);
TG_EXTERN_TEMPLATE void Update::adam<float>(float* p, const float* g, float* m, float* v,
                                            std::size_t n, float lr, float beta1, float beta2,
                                            float epsilon, long step, float weight_decay);
TG_EXTERN_TEMPLATE void Update::adam<double>(double* p, const double* g, double* m, double* v,
                                             std::size_t n, double lr, double beta1, double beta2,
                                             double epsilon, long step, double weight_decay);
TG_EXTERN_TEMPLATE void Update::rmsprop<float>(float* p, const float* g, float* v, float* mom,
                                               std::size_t n, float lr, float rho, float momentum,
                                               float epsilon);
TG_EXTERN_TEMPLATE void Update::rmsprop<double>(double* p, const double* g, double* v, double* mom,
                                                std::size_t n, double lr, double rho,
                                                double momentum, double epsilon);
#endif

}  // namespace tensorguard::cpu
