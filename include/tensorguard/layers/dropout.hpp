#pragma once
#include <ratio>

#include "../core/buffer.hpp"
#include "../detail/diagnostics.hpp"
#include "../detail/layer.hpp"

namespace tensorguard {

template <class Rate>
struct dropout_rate_must_be_in_0_inclusive_to_1_exclusive;
struct fix_give_the_rate_of_dropping_a_unit_e_g_Rate_50_for_one_half;

// Inverted dropout: in training each unit is zeroed with probability Rate and the rest scaled
// by 1 / (1 - Rate); at inference it is the identity. Rate is a std::ratio: Dropout<Rate<1, 4>>.
template <std::intmax_t Num, std::intmax_t Den = 100>
using Rate = std::ratio<Num, Den>;

// Dropout<Rate<50>>, not Dropout<0.5>: the rate is a type, as the parameter's name says in errors.
template <class R_is_a_type_e_g_Rate_50_for_0_5 = std::ratio<1, 2>>
struct Dropout {
  using R = R_is_a_type_e_g_Rate_50_for_0_5;
  static constexpr double rate = double(R::num) / double(R::den);

  template <class In, std::size_t Position>
  static consteval auto diagnose() {
    if constexpr (R::num < 0 || R::num >= R::den)
      return detail::fail<at_layer<Position, Dropout>,
                          dropout_rate_must_be_in_0_inclusive_to_1_exclusive<R>,
                          fix_give_the_rate_of_dropping_a_unit_e_g_Rate_50_for_one_half>;
    else
      return detail::pass;
  }
  template <class In>
  using output = In;

  template <class In, class M, std::size_t Position>
  class Layer {
    using T = typename M::scalar;
    using P = typename M::ptr;
    using CP = typename M::cptr;
    using Buf = typename M::buffer;

   public:
    using input_shape = In;
    using output_shape = In;
    using spec = Dropout;
    static constexpr std::size_t parameter_count = 0, state_count = 0;
    static constexpr std::size_t cache_per_sample = In::size;
    static constexpr double flops_per_sample = 0;
    static std::string kind() {
      return "Dropout<" + std::to_string(R::num) + "/" + std::to_string(R::den) + ">";
    }

    void attach(ParameterSlots<M>&) {}
    void initialize(InitialValues<T>&, Rng& rng) { stream_ = {rng.next(), 0}; }
    // Every random generator of the layer, in a fixed order (checkpoints save their state).
    template <class F>
    void visit_generators(F&& f) {
      f(stream_);
    }
    void reserve(std::size_t batch) { mask_.resize(batch * In::size); }
    template <class B>
    void forward(B& backend, CP x, P y, std::size_t n, Mode mode) {
      training_ = mode == Mode::training && rate > 0;
      if (training_)
        backend.dropout_forward(x, y, mask_.data(), n * In::size, rate, stream_.seed,
                                stream_.take(n * In::size));
      else
        backend.copy(x, y, n * In::size);
    }
    template <class B>
    void backward(B& backend, CP, CP, CP dy, P dx, std::size_t n) {
      if (!dx) return;
      if (training_)
        backend.multiply(dy, mask_.data(), dx, n * In::size);
      else
        backend.copy(dy, dx, n * In::size);
    }

   private:
    Buf mask_;
    CounterStream stream_;
    bool training_ = false;
  };
};

}  // namespace tensorguard
