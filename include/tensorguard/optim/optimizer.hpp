// Optimizer: one of the optimizer settings plus its state, stepping a flat parameter array
// through the backend's update ops.
#pragma once
#include <cstddef>
#include <string>
#include <variant>

#include "../core/buffer.hpp"
#include "adam.hpp"
#include "adamw.hpp"
#include "rmsprop.hpp"
#include "sgd.hpp"

namespace tensorguard::optim {

using Settings = std::variant<Adam, SGD, AdamW, RMSProp>;

template <class T>
class Optimizer {
 public:
  Optimizer(Settings settings = Adam{}) : settings_(settings) {}

  void reserve(std::size_t parameters) {
    for (auto& s : state_) {
      s.resize(parameters);
      s.fill(T(0));
    }
    step_ = 0;
  }

  template <class B>
  void step(B& backend, T* params, const T* grads, std::size_t n) {
    begin_step();
    update(backend, params, grads, 0, n);
  }
  // A step in pieces, for threads that update disjoint ranges: begin_step once, then update
  // each range [offset, offset + count) of the parameters, gradients and optimizer state.
  void begin_step() { ++step_; }
  template <class B>
  void update(B& backend, T* params, const T* grads, std::size_t offset, std::size_t count) {
    std::visit(
        [&](const auto& s) { apply(backend, s, params + offset, grads + offset, count, offset); },
        settings_);
  }

  double learning_rate() const {
    return std::visit([](const auto& s) { return s.learning_rate; }, settings_);
  }
  void set_learning_rate(double lr) {
    std::visit([&](auto& s) { s.learning_rate = lr; }, settings_);
  }
  std::string name() const {
    return std::visit([](const auto& s) { return std::string(s.name); }, settings_);
  }
  long steps() const { return step_; }
  const Settings& settings() const { return settings_; }

 private:
  template <class B>
  void apply(B& backend, const SGD& s, T* p, const T* g, std::size_t n, std::size_t at) {
    backend.sgd(p, g, state_[0].data() + at, n, T(s.learning_rate), T(s.momentum), s.nesterov);
  }
  template <class B>
  void apply(B& backend, const Adam& s, T* p, const T* g, std::size_t n, std::size_t at) {
    backend.adam(p, g, state_[0].data() + at, state_[1].data() + at, n, T(s.learning_rate),
                 T(s.beta1), T(s.beta2), T(s.epsilon), step_, T(0));
  }
  template <class B>
  void apply(B& backend, const AdamW& s, T* p, const T* g, std::size_t n, std::size_t at) {
    backend.adam(p, g, state_[0].data() + at, state_[1].data() + at, n, T(s.learning_rate),
                 T(s.beta1), T(s.beta2), T(s.epsilon), step_, T(s.weight_decay));
  }
  template <class B>
  void apply(B& backend, const RMSProp& s, T* p, const T* g, std::size_t n, std::size_t at) {
    backend.rmsprop(p, g, state_[0].data() + at, state_[1].data() + at, n, T(s.learning_rate),
                    T(s.rho), T(s.momentum), T(s.epsilon));
  }

  Settings settings_;
  Buffer<T> state_[2];
  long step_ = 0;
};

}  // namespace tensorguard::optim
