// Optimizer updates over flat parameter arrays on the CPU.
#pragma once
#include <cmath>
#include <cstddef>

namespace tensorguard::cpu {

struct Update {
  // Keras's SGD: v = momentum v - lr g; p += v (or, Nesterov, p += momentum v - lr g).
  template <class T>
  static void sgd(T* p, const T* g, T* velocity, std::size_t n, T lr, T momentum, bool nesterov) {
    if (momentum == T(0)) {
      for (std::size_t i = 0; i < n; ++i) p[i] -= lr * g[i];
      return;
    }
    for (std::size_t i = 0; i < n; ++i) {
      velocity[i] = momentum * velocity[i] - lr * g[i];
      p[i] += nesterov ? momentum * velocity[i] - lr * g[i] : velocity[i];
    }
  }

  // Adam with bias correction (Kingma & Ba); weight_decay > 0 gives AdamW's decoupled decay,
  // applied to the weights before the Adam step as in Loshchilov & Hutter.
  template <class T>
  static void adam(T* p, const T* g, T* m, T* v, std::size_t n, T lr, T beta1, T beta2, T epsilon,
                   long step, T weight_decay) {
    const T correction1 = T(1) - T(std::pow(double(beta1), double(step)));
    const T correction2 = T(1) - T(std::pow(double(beta2), double(step)));
    const T step_size = lr / correction1;
    const T inv_sqrt_c2 = T(1) / std::sqrt(correction2);
    const T decay = T(1) - lr * weight_decay;
    for (std::size_t i = 0; i < n; ++i) {
      m[i] = beta1 * m[i] + (T(1) - beta1) * g[i];
      v[i] = beta2 * v[i] + (T(1) - beta2) * g[i] * g[i];
      p[i] = p[i] * decay - step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_c2 + epsilon);
    }
  }

  // RMSProp as in Keras: v = rho v + (1 - rho) g^2; step = lr g / (sqrt(v) + eps), with momentum.
  template <class T>
  static void rmsprop(T* p, const T* g, T* v, T* mom, std::size_t n, T lr, T rho, T momentum,
                      T epsilon) {
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = rho * v[i] + (T(1) - rho) * g[i] * g[i];
      const T step = lr * g[i] / (std::sqrt(v[i]) + epsilon);
      if (momentum == T(0)) {
        p[i] -= step;
      } else {
        mom[i] = momentum * mom[i] + step;
        p[i] -= mom[i];
      }
    }
  }
};

}  // namespace tensorguard::cpu
