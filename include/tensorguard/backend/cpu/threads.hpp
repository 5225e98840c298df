// A small pool of persistent worker threads for the CPU backend: an op splits its work into
// parts and runs them at once, the calling thread taking part 0. Nothing is allocated per op.
#pragma once
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace tensorguard::cpu {

class WorkerPool {
 public:
  WorkerPool() = default;
  explicit WorkerPool(unsigned threads) { resize(threads); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { resize(1); }

  // TG_THREADS in the environment sets the default (1 when unset).
  static unsigned default_threads() {
    const char* env = std::getenv("TG_THREADS");
    const int n = env ? std::atoi(env) : 1;
    return n > 0 ? unsigned(n) : 1u;
  }

  unsigned size() const { return unsigned(workers_.size()) + 1; }

  void resize(unsigned threads) {
    if (threads < 1) threads = 1;
    if (threads == size()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    stop_ = false;
    for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
  }

  // job(part) for part in [0, parts), parts <= size(); returns when all are done.
  template <class Job>
  void run(unsigned parts, Job& job) {
    if (parts <= 1 || workers_.empty()) {
      for (unsigned p = 0; p < parts; ++p) job(p);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      call_ = [](void* ctx, unsigned part) { (*static_cast<Job*>(ctx))(part); };
      context_ = &job;
      parts_ = parts;
      pending_ = parts - 1;
      ++generation_;
    }
    wake_.notify_all();
    job(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
  }

 private:
  void work(unsigned index) {
    unsigned seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (stop_) return;
      if (index >= parts_) continue;
      auto* call = call_;
      void* ctx = context_;
      lock.unlock();
      call(ctx, index);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  void (*call_)(void*, unsigned) = nullptr;
  void* context_ = nullptr;
  unsigned parts_ = 0, pending_ = 0, generation_ = 0;
  bool stop_ = false;
};

}  // namespace tensorguard::cpu
