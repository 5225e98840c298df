// What Concat and Add share: running every branch on the same input into its own buffer, and
// summing the branches' input gradients.
#pragma once
#include <string>
#include <tuple>
#include <vector>

#include "../core/buffer.hpp"
#include "branch.hpp"

namespace tensorguard {
template <std::size_t Path, class Layer>
struct path_is_a_bare_layer_not_a_Branch;
struct in_the_residual_layers;
template <class Example>
struct fix_wrap_each_path_in_Branch_e_g;
struct needs_at_least_two_branches;
}  // namespace tensorguard

namespace tensorguard::detail {

// A branch's output shape. Not a Branch (a bare layer, reported by branches_verdict): its input,
// so that naming it in a merge's class body is no error of its own.
template <class B>
struct branch_shapes {
  template <class In>
  using output = In;
};
template <class... L>
struct branch_shapes<Branch<L...>> {
  template <class In>
  using output = typename Branch<L...>::template scan<In>::output;
};
template <class B, class In>
using branch_output = typename branch_shapes<B>::template output<In>;

// Checks every branch of a merge; a failure inside branch k reads
// at_layer<merge position, Merge>, in_branch<k>, at_layer<position in the branch, Layer>, ...
// (In a Residual, whose only written path is its second, the tag is in_the_residual_layers.)
template <class Where, bool Residual, class In, class... Branches, std::size_t... K>
consteval auto each_branch_verdict(std::index_sequence<K...>) {
  return std::type_identity<typename first_failure<prefixed_t<
      typename Branches::template scan<In>::verdict, Where,
      std::conditional_t<Residual, in_the_residual_layers, in_branch<K + 1>>>...>::type>{};
}
template <class Where, bool Residual, class In, class... Branches>
consteval auto paths_verdict() {
  if constexpr (!(is_branch<Branches> && ...)) {
    constexpr std::size_t bare = [] {
      const bool branch[] = {is_branch<Branches>...};
      std::size_t k = 0;
      while (branch[k]) ++k;
      return k;
    }();
    using layer = std::tuple_element_t<bare, std::tuple<Branches...>>;
    return fail<Where, path_is_a_bare_layer_not_a_Branch<bare + 1, layer>,
                fix_wrap_each_path_in_Branch_e_g<Branch<layer>>>;
  } else if constexpr (sizeof...(Branches) < 2)
    return fail<Where, needs_at_least_two_branches>;
  else
    return each_branch_verdict<Where, Residual, In, Branches...>(
        std::make_index_sequence<sizeof...(Branches)>{});
}

template <class Where, class In, class... Branches>
consteval auto branches_verdict() {
  return paths_verdict<Where, false, In, Branches...>();
}

template <class In, class M, class... Branches>
class Merge {
 protected:
  using T = typename M::scalar;
  using P = typename M::ptr;
  using CP = typename M::cptr;
  using Buf = typename M::buffer;
  using Bodies = std::tuple<typename Branches::template Layer<In, M, 1>...>;
  static constexpr std::size_t count = sizeof...(Branches);
  using indices = std::make_index_sequence<count>;
  template <std::size_t I>
  using body_t = std::tuple_element_t<I, Bodies>;

 public:
  static constexpr bool is_container = true;
  static constexpr std::size_t parameter_count =
      (std::size_t{0} + ... + Branches::template Layer<In, M, 1>::parameter_count);
  static constexpr std::size_t state_count =
      (std::size_t{0} + ... + Branches::template Layer<In, M, 1>::state_count);
  static constexpr double flops_per_sample =
      (0.0 + ... + Branches::template Layer<In, M, 1>::flops_per_sample);
  static constexpr bool couples_samples =
      (false || ... || detail::couples_samples<typename Branches::template Layer<In, M, 1>>);
  static constexpr bool combines_parts =
      (true && ... && detail::splits_across_threads<typename Branches::template Layer<In, M, 1>>);
  // Each branch's output and output gradient, one input-gradient buffer, the branches' caches.
  static constexpr std::size_t cache_per_sample =
      (std::size_t{0} + ... +
       (2 * Branches::template Layer<In, M, 1>::output_shape::size +
        Branches::template Layer<In, M, 1>::cache_per_sample)) +
      In::size;

  void attach(ParameterSlots<M>& slots) {
    std::apply([&](auto&... b) { (b.attach(slots), ...); }, bodies_);
  }
  void initialize(InitialValues<T>& initial, Rng& rng) {
    std::apply([&](auto&... b) { (b.initialize(initial, rng), ...); }, bodies_);
  }
  template <class F>
  void visit_generators(F&& f) {
    std::apply([&](auto&... b) { (visit_generators_of(b, f), ...); }, bodies_);
  }
  void reserve(std::size_t batch) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((std::get<I>(bodies_).reserve(batch),
        outputs_[I].resize(batch * body_t<I>::output_shape::size),
        grads_[I].resize(batch * body_t<I>::output_shape::size)),
       ...);
    }
    (indices{});
    dx_.resize(batch * In::size);
  }

  template <class Derived>
  static void describe_branches(std::vector<LayerRecord>& out, const std::string& path, int depth) {
    out.push_back(leaf_record<Derived>(path, depth));
    out.back().container = true;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (body_t<I>::describe(out, path + "." + std::to_string(I + 1) + ".", depth + 1), ...);
    }
    (indices{});
  }

 protected:
  template <class B>
  void forward_branches(B& backend, CP x, std::size_t n, Mode mode) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (std::get<I>(bodies_).forward(backend, x, outputs_[I].data(), n, mode), ...);
    }
    (indices{});
  }
  // Branch I's output gradient must already be in grad_of(I); dx receives the sum.
  template <class B, class GradOf>
  void backward_branches(B& backend, CP x, P dx, std::size_t n, GradOf grad_of) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (backward_one<I>(backend, x, dx, n, grad_of(I)), ...);
    }
    (indices{});
  }
  template <std::size_t I, class B>
  void backward_one(B& backend, CP x, P dx, std::size_t n, CP dy) {
    P target = (I == 0 || !dx) ? dx : dx_.data();
    std::get<I>(bodies_).backward(backend, x, outputs_[I].data(), dy, target, n);
    if (I > 0 && dx) backend.accumulate(dx_.data(), dx, n * In::size);
  }

  Bodies bodies_;
  Buf outputs_[count];
  Buf grads_[count];
  Buf dx_;
};

}  // namespace tensorguard::detail
