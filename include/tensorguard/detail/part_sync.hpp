// PartSync: what the parts of one batch, each on its own thread and replica, share while a layer
// that couples samples (BatchNormalization) combines their statistics: a barrier and, per such
// layer, room for every part's partial sums. The runner sets the part count before each pass.
#pragma once
#include <atomic>
#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tensorguard::detail {

// A busy-wait step: a pause instruction at first, then the thread yields its core.
inline void spin_pause(unsigned spins) {
  if (spins < 4096) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
  } else {
    std::this_thread::yield();
  }
}

// A backend that runs a batch's parts on threads of its own (tg::Cpu), each part on a replica.
template <class B>
concept runs_parts = requires(B& b, void (&job)(unsigned)) {
  b.threads();
  b.run_parts(1u, job);
};

class PartSync {
 public:
  static constexpr unsigned max_parts = 8;

  // Before a pass (one thread): the number of parts that will meet at each wait().
  void start(unsigned parts) {
    parts_ = parts;
    arrived_.store(0, std::memory_order_relaxed);
  }
  unsigned parts() const { return parts_; }

  // Returns once every part of the pass has called it: what each wrote before is visible to all.
  // Every part runs on its own thread at once (the runner never has more parts than threads).
  void wait() {
    if (parts_ <= 1) return;
    const unsigned generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == parts_) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
      return;
    }
    for (unsigned spins = 0; generation_.load(std::memory_order_acquire) == generation; ++spins)
      spin_pause(spins);
  }

  // The index-th exchange area: max_parts records of `per_part` doubles, record p part p's.
  // Taken at attach, in the same order by every replica, so the same layer of each replica
  // gets the same area; allocated then, never during a pass.
  double* exchange(std::size_t index, std::size_t per_part) {
    while (areas_.size() <= index) areas_.emplace_back();
    auto& area = areas_[index];
    if (area.size() < max_parts * per_part) area.resize(max_parts * per_part);
    return area.data();
  }

 private:
  unsigned parts_ = 1;
  std::atomic<unsigned> arrived_{0}, generation_{0};
  std::deque<std::vector<double>> areas_;
};

}  // namespace tensorguard::detail
