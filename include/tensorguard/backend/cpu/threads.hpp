// A small pool of persistent worker threads for the CPU backend: an op splits its work into
// parts and runs them at once, the calling thread taking part 0. Nothing is allocated per op.
// Workers spin briefly on the job counter before they sleep: a training step hands out work
// every few hundred microseconds, and a condition-variable wake-up costs tens of them.
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../../detail/config.hpp"
#include "../../detail/part_sync.hpp"

namespace tensorguard::cpu {

class WorkerPool {
 public:
  WorkerPool() = default;
  explicit WorkerPool(unsigned threads) { resize(threads); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { resize(1); }

  // The most threads a backend uses (set_threads caps at this too).
  static constexpr unsigned max_threads = 8;

  // TG_THREADS in the environment sets the default (1 when unset): a whole number from 1,
  // capped at max_threads. Anything else is reported on stderr and 1 is used.
  static unsigned default_threads() {
    const char* env = std::getenv("TG_THREADS");
    if (!env) return 1;
    const auto parsed = parse_threads(env);
    if (!parsed) {
      std::fprintf(stderr,
                   "tensorguard: TG_THREADS='%s' is not a positive whole number (such as 2); "
                   "using 1 thread\n",
                   env);
      return 1;
    }
    if (*parsed > max_threads) {
      std::fprintf(stderr,
                   "tensorguard: TG_THREADS=%s is above the maximum of %u; using %u threads "
                   "(more threads than cores only slows training down)\n",
                   env, max_threads, max_threads);
      return max_threads;
    }
    return unsigned(*parsed);
  }
  // Digits only (no sign, space or suffix), at least 1; values too large for 64 bits are
  // saturated, so they are capped rather than wrapped.
  static std::optional<unsigned long long> parse_threads(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    unsigned long long n = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n > 1'000'000 ? n : n * 10 + unsigned(c - '0');
    }
    if (n == 0) return std::nullopt;
    return n;
  }

  unsigned size() const { return unsigned(workers_.size()) + 1; }

  void resize(unsigned threads);

  // job(part) for part in [0, parts), parts <= size(); returns when all are done.
  template <class Job>
  void run(unsigned parts, Job& job) {
    if (parts <= 1 || workers_.empty()) {
      for (unsigned p = 0; p < parts; ++p) job(p);
      return;
    }
    call_ = [](void* ctx, unsigned part) { (*static_cast<Job*>(ctx))(part); };
    context_ = &job;
    parts_ = parts;
    // Every worker acknowledges every job, taking part or not, so none still reads this job's
    // description when the next one is written.
    pending_.store(unsigned(workers_.size()), std::memory_order_relaxed);
    publish();
    job(0);
    for (unsigned spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) pause(spins);
  }

 private:
  static void pause(unsigned spins) { detail::spin_pause(spins); }
  // A new job (or stop) for the workers: bump the counter, wake any that went to sleep.
  void publish() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
  }

  void work(unsigned index, unsigned seen) {
    for (;;) {
      unsigned now = seen;
      for (unsigned spins = 0; spins < spin_limit && now == seen; ++spins) {
        pause(0);
        now = generation_.load(std::memory_order_acquire);
      }
      if (now == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        now = generation_.load(std::memory_order_acquire);
      }
      seen = now;
      if (stop_.load()) return;
      if (index < parts_) call_(context_, index);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  // About 0.1-0.5 ms of spinning before a worker sleeps.
  static constexpr unsigned spin_limit = 1u << 14;

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<unsigned> generation_{0}, pending_{0};
  std::atomic<bool> stop_{false};
  // The job: written by run() before publish(), read by workers after they see the new count.
  void (*call_)(void*, unsigned) = nullptr;
  void* context_ = nullptr;
  unsigned parts_ = 0;
};

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE void WorkerPool::resize(unsigned threads) {
  threads = std::clamp(threads, 1u, max_threads);
  if (threads == size()) return;
  stop_.store(true);
  publish();
  for (auto& w : workers_) w.join();
  workers_.clear();
  stop_.store(false);
  // Workers start from the current count, so a job published before one starts is not missed.
  const unsigned start = generation_.load();
  workers_.reserve(threads - 1);
  for (unsigned i = 1; i < threads; ++i) {
    try {
      workers_.emplace_back([this, i, start] { work(i, start); });
    } catch (const std::exception& e) {
      // Those already started are stopped and joined: none is left waiting on this pool.
      const std::size_t started = workers_.size();
      stop_.store(true);
      publish();
      for (auto& w : workers_) w.join();
      workers_.clear();
      stop_.store(false);
      throw std::runtime_error("tensorguard: could not start worker thread " +
                               std::to_string(started + 1) + " of " + std::to_string(threads - 1) +
                               " (" + e.what() +
                               "); the system refuses more threads or memory for their "
                               "stacks. Use fewer threads (TG_THREADS or set_threads).");
    }
  }
}
#endif

}  // namespace tensorguard::cpu
