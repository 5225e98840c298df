// Opt-in memory budget, checked at compile time from the model's static facts:
//   static_assert(tg::fits_memory_budget<Net, /*batch*/ 256, 512 * tg::MiB>);
// Training needs the parameters, their gradients and up to two optimizer moments (Adam), plus
// the activation memory of every sample in the batch.
#pragma once
#include <cstddef>

#include "../detail/diagnostics.hpp"

namespace tensorguard {

inline constexpr std::size_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

template <std::size_t Batch>
struct memory_budget_exceeded_at_batch;
template <std::size_t Bytes>
struct needs_bytes;
template <std::size_t Bytes>
struct budget_bytes;
template <std::size_t Batch>
struct fix_largest_batch_that_fits;
struct fix_not_even_one_sample_fits_shrink_the_model_or_raise_the_budget;

template <class Net>
inline constexpr std::size_t training_state_bytes = (4 * Net::parameter_count + Net::state_count) *
                                                    sizeof(typename Net::scalar);

template <class Net>
constexpr std::size_t training_bytes(std::size_t batch) {
  return training_state_bytes<Net> + batch * Net::activation_bytes_per_sample;
}

// The largest batch whose training fits in `bytes` (0 if none).
template <class Net>
constexpr std::size_t largest_batch_within(std::size_t bytes) {
  return bytes < training_state_bytes<Net>
             ? 0
             : (bytes - training_state_bytes<Net>) / Net::activation_bytes_per_sample;
}

namespace detail {
template <class Net, std::size_t Batch, std::size_t Bytes>
consteval auto memory_verdict() {
  if constexpr (training_bytes<Net>(Batch) <= Bytes)
    return pass;
  else if constexpr (largest_batch_within<Net>(Bytes) == 0)
    return fail<memory_budget_exceeded_at_batch<Batch>, needs_bytes<training_bytes<Net>(Batch)>,
                budget_bytes<Bytes>,
                fix_not_even_one_sample_fits_shrink_the_model_or_raise_the_budget>;
  else
    return fail<memory_budget_exceeded_at_batch<Batch>, needs_bytes<training_bytes<Net>(Batch)>,
                budget_bytes<Bytes>, fix_largest_batch_that_fits<largest_batch_within<Net>(Bytes)>>;
}
template <class Net, std::size_t Batch, std::size_t Bytes>
using memory_verdict_t = verdict_of<memory_verdict<Net, Batch, Bytes>()>;
}  // namespace detail

template <class Net, std::size_t Batch, std::size_t Bytes>
inline constexpr bool fits_memory_budget =
    sizeof(typename detail::report<detail::memory_verdict_t<Net, Batch, Bytes>>::model_is_valid);

}  // namespace tensorguard
