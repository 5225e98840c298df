// Optimizer: one of the optimizer settings plus its state, stepping a flat parameter array
// through the backend's update ops.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include "../backend/memory.hpp"
#include "adam.hpp"
#include "adamw.hpp"
#include "rmsprop.hpp"
#include "sgd.hpp"

namespace tensorguard::optim {

using Settings = std::variant<Adam, SGD, AdamW, RMSProp>;

namespace detail {
inline std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
// A NaN or negative rate turns every weight into NaN or trains uphill in one step: refused.
inline void require_rate(const char* optimizer, double lr) {
  const bool sgd = std::string_view(optimizer) == "SGD";
  if (!(std::isfinite(lr) && lr > 0))
    throw std::invalid_argument(std::string(optimizer) + ": learning_rate must be finite and " +
                                "positive, got " + number(lr) +
                                (sgd ? " (common: 1e-3 to 1e-1)" : " (common: 1e-4 to 1e-2)"));
}
inline void require_unit(const char* optimizer, const char* field, double v) {
  if (!(v >= 0 && v < 1))
    throw std::invalid_argument(std::string(optimizer) + ": " + field + " must be in [0, 1), got " +
                                number(v));
}
inline void require_positive(const char* optimizer, const char* field, double v) {
  if (!(std::isfinite(v) && v > 0))
    throw std::invalid_argument(std::string(optimizer) + ": " + field +
                                " must be finite and positive, got " + number(v));
}
inline void validate(const SGD& s) {
  require_rate(s.name, s.learning_rate);
  require_unit(s.name, "momentum", s.momentum);
}
inline void validate(const Adam& s) {
  require_rate(s.name, s.learning_rate);
  require_unit(s.name, "beta1", s.beta1);
  require_unit(s.name, "beta2", s.beta2);
  require_positive(s.name, "epsilon", s.epsilon);
}
inline void validate(const AdamW& s) {
  require_rate(s.name, s.learning_rate);
  require_unit(s.name, "beta1", s.beta1);
  require_unit(s.name, "beta2", s.beta2);
  require_positive(s.name, "epsilon", s.epsilon);
  if (!(std::isfinite(s.weight_decay) && s.weight_decay >= 0))
    throw std::invalid_argument(std::string(s.name) +
                                ": weight_decay must be finite and not negative, got " +
                                number(s.weight_decay));
}
inline void validate(const RMSProp& s) {
  require_rate(s.name, s.learning_rate);
  require_unit(s.name, "rho", s.rho);
  require_unit(s.name, "momentum", s.momentum);
  require_positive(s.name, "epsilon", s.epsilon);
}
}  // namespace detail

// "Adam", "SGD", ...
inline std::string name(const Settings& settings) {
  return std::visit([](const auto& s) { return std::string(s.name); }, settings);
}

// Throws std::invalid_argument naming the optimizer, the field and its value.
inline void validate(const Settings& settings) {
  std::visit([](const auto& s) { detail::validate(s); }, settings);
}

// The moments live where the backend's memory is (Memory: HostMemory for the CPU).
template <class T, class Memory = HostMemory>
class Optimizer {
  using P = typename Memory::template pointer<T>;
  using CP = typename Memory::template pointer<const T>;

 public:
  Optimizer(Settings settings = Adam{}) : settings_(settings) { validate(settings_); }

  // Zero moments for n parameters, step 0.
  template <class B>
  void reserve(B& backend, std::size_t parameters) {
    for (auto& s : state_) {
      s.resize(parameters);
      backend.fill(s.data(), T(0), parameters);
    }
    step_ = 0;
  }
  void reserve(std::size_t parameters) requires Memory::host_accessible {
    for (auto& s : state_) {
      s.resize(parameters);
      s.fill(T(0));
    }
    step_ = 0;
  }

  template <class B>
  void step(B& backend, P params, CP grads, std::size_t n) {
    begin_step();
    update(backend, params, grads, 0, n);
  }
  // A step in pieces, for threads that update disjoint ranges: begin_step once, then update
  // each range [offset, offset + count) of the parameters, gradients and optimizer state.
  void begin_step() { ++step_; }
  template <class B>
  void update(B& backend, P params, CP grads, std::size_t offset, std::size_t count) {
    std::visit(
        [&](const auto& s) { apply(backend, s, params + offset, grads + offset, count, offset); },
        settings_);
  }

  double learning_rate() const {
    return std::visit([](const auto& s) { return s.learning_rate; }, settings_);
  }
  void set_learning_rate(double lr) {
    std::visit(
        [&](auto& s) {
          detail::require_rate(s.name, lr);
          s.learning_rate = lr;
        },
        settings_);
  }
  std::string name() const { return optim::name(settings_); }
  long steps() const { return step_; }
  const Settings& settings() const { return settings_; }

  // For checkpoints: the settings, the step count and the moment arrays, restored as saved.
  static constexpr int state_arrays = 2;
  const typename Memory::template buffer<T>& state_array(int i) const { return state_[i]; }
  // arrays: host copies of the moments, uploaded.
  template <class B>
  void restore(B& backend, const Settings& settings, long step, const T* const* arrays,
               std::size_t n) {
    validate(settings);
    settings_ = settings;
    step_ = step;
    for (int i = 0; i < state_arrays; ++i) {
      state_[i].resize(n);
      backend.upload(arrays[i], state_[i].data(), n);
    }
  }

 private:
  template <class B>
  void apply(B& backend, const SGD& s, P p, CP g, std::size_t n, std::size_t at) {
    backend.sgd(p, g, state_[0].data() + at, n, T(s.learning_rate), T(s.momentum), s.nesterov);
  }
  template <class B>
  void apply(B& backend, const Adam& s, P p, CP g, std::size_t n, std::size_t at) {
    backend.adam(p, g, state_[0].data() + at, state_[1].data() + at, n, T(s.learning_rate),
                 T(s.beta1), T(s.beta2), T(s.epsilon), step_, T(0));
  }
  template <class B>
  void apply(B& backend, const AdamW& s, P p, CP g, std::size_t n, std::size_t at) {
    backend.adam(p, g, state_[0].data() + at, state_[1].data() + at, n, T(s.learning_rate),
                 T(s.beta1), T(s.beta2), T(s.epsilon), step_, T(s.weight_decay));
  }
  template <class B>
  void apply(B& backend, const RMSProp& s, P p, CP g, std::size_t n, std::size_t at) {
    backend.rmsprop(p, g, state_[0].data() + at, state_[1].data() + at, n, T(s.learning_rate),
                    T(s.rho), T(s.momentum), T(s.epsilon));
  }

  Settings settings_;
  typename Memory::template buffer<T> state_[2];
  long step_ = 0;
};

}  // namespace tensorguard::optim
