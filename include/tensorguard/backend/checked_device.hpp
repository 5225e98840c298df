// CheckedDevice: the CPU's math behind a device's rules, to prove on a machine without a GPU that
// nothing outside the backend touches device memory.
// - Its pointers are DevicePtr: host code that dereferences one does not compile.
// - Its memory is poisoned with AddressSanitizer's manual poisoning except while one of its ops
//   runs, so a host loop that reaches it through a raw address stops with a report naming the
//   file and line (in builds with -fsanitize=address; elsewhere the poisoning is a no-op).
// - It counts every transfer, so tests can assert how often a training step crosses the bus.
// Ops run single-threaded, one whole batch at a time, as on a GPU.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "cpu.hpp"
#include "memory.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TG_CHECKED_DEVICE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_CHECKED_DEVICE_ASAN 1
#endif
#endif
#ifdef TG_CHECKED_DEVICE_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace tensorguard {

namespace checked {

// Every live allocation of the checked device, poisoned while no op runs.
class Heap {
 public:
  static Heap& instance() {
    static Heap heap;
    return heap;
  }
  void* allocate(std::size_t bytes) {
    void* p = ::operator new (std::max<std::size_t>(bytes, 1), std::align_val_t{64});
    std::memset(p, 0, bytes);  // device memory starts zeroed, as cudaMemset would leave it
    std::lock_guard lock(mutex_);
    blocks_.push_back({p, bytes});
    if (open_ == 0) poison(p, bytes);
    return p;
  }
  void release(void* p) {
    if (!p) return;
    std::lock_guard lock(mutex_);
    for (auto& b : blocks_)
      if (b.address == p) {
        unpoison(b.address, b.bytes);
        b = blocks_.back();
        blocks_.pop_back();
        break;
      }
    ::operator delete (p, std::align_val_t{64});
  }
  // Device memory is readable from here until the matching close (ops nest).
  void open() {
    std::lock_guard lock(mutex_);
    if (open_++ == 0)
      for (auto& b : blocks_) unpoison(b.address, b.bytes);
  }
  void close() {
    std::lock_guard lock(mutex_);
    if (--open_ == 0)
      for (auto& b : blocks_) poison(b.address, b.bytes);
  }
  std::size_t live_bytes() {
    std::lock_guard lock(mutex_);
    std::size_t total = 0;
    for (auto& b : blocks_) total += b.bytes;
    return total;
  }

 private:
  static void poison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t bytes) {
#ifdef TG_CHECKED_DEVICE_ASAN
    ASAN_POISON_MEMORY_REGION(p, bytes);
#endif
  }
  static void unpoison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t bytes) {
#ifdef TG_CHECKED_DEVICE_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, bytes);
#endif
  }
  struct Block {
    void* address;
    std::size_t bytes;
  };
  std::mutex mutex_;
  std::vector<Block> blocks_;
  int open_ = 0;
};

// Inside an op: device memory is open.
struct OpScope {
  OpScope() { Heap::instance().open(); }
  ~OpScope() { Heap::instance().close(); }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;
};

// Checked device memory for DeviceArray: the poisoned heap; copies open it.
struct CheckedHeap {
  static void* allocate(std::size_t bytes) { return Heap::instance().allocate(bytes); }
  static void release(void* p) { Heap::instance().release(p); }
  static void copy(void* dst, const void* src, std::size_t bytes) {
    OpScope open;
    std::memcpy(dst, src, bytes);
  }
};
template <class T>
using DeviceBuffer = DeviceArray<T, CheckedHeap>;

// Transfers since the counters were last reset.
struct TransferCounts {
  std::size_t uploads = 0, downloads = 0;
  std::size_t upload_bytes = 0, download_bytes = 0;
};

template <class A>
decltype(auto) address_of(A&& a) {
  if constexpr (is_device_pointer<std::remove_cvref_t<A>>)
    return a.unsafe_address();
  else
    return std::forward<A>(a);
}

}  // namespace checked

struct CheckedDeviceMemory {
  static constexpr bool host_accessible = false;
  template <class T>
  using pointer = DevicePtr<T>;
  template <class T>
  using buffer = checked::DeviceBuffer<T>;
};

// Forwards op `name` to the CPU backend with device memory open and device pointers unwrapped.
// Explicit template arguments (activation_forward<ReLU>) pass through.
#define TG_CHECKED_DEVICE_OP(name)                                                              \
  template <class... Explicit, class... Args>                                                   \
  decltype(auto) name(Args&&... args) {                                                         \
    checked::OpScope open;                                                                      \
    if constexpr (sizeof...(Explicit) == 0)                                                     \
      return cpu_.name(checked::address_of(std::forward<Args>(args))...);                       \
    else                                                                                        \
      return cpu_.template name<Explicit...>(checked::address_of(std::forward<Args>(args))...); \
  }

class CheckedDevice {
 public:
  using memory = CheckedDeviceMemory;
  using Op = cpu::Op;
  static constexpr const char* name = "CheckedDevice";

  CheckedDevice() = default;
  explicit CheckedDevice(unsigned) {}

  // Host to device and back: the only ways data crosses, each counted.
  template <class T>
  void upload(const T* host, DevicePtr<T> device, std::size_t n) {
    checked::OpScope open;
    if (n) std::memcpy(device.unsafe_address(), host, n * sizeof(T));
    ++counts_.uploads;
    counts_.upload_bytes += n * sizeof(T);
  }
  template <class T>
  void download(DevicePtr<const T> device, T* host, std::size_t n) {
    checked::OpScope open;
    if (n) std::memcpy(host, device.unsafe_address(), n * sizeof(T));
    ++counts_.downloads;
    counts_.download_bytes += n * sizeof(T);
  }
  template <class T>
  void download(DevicePtr<T> device, T* host, std::size_t n) {
    download(DevicePtr<const T>(device), host, n);
  }

  const checked::TransferCounts& transfers() const { return counts_; }
  void reset_transfers() { counts_ = {}; }

  // What the memory guard compares a batch against: a device's free memory. The checked device
  // reports the host's, unless a test sets a limit.
  std::size_t available_memory_bytes() const {
    return memory_limit_ ? memory_limit_ : cpu_.available_memory_bytes();
  }
  void set_memory_limit(std::size_t bytes) { memory_limit_ = bytes; }

  TG_CHECKED_DEVICE_OP(gemm)
  TG_CHECKED_DEVICE_OP(fill_columns)
  TG_CHECKED_DEVICE_OP(add_bias)
  TG_CHECKED_DEVICE_OP(add_column_sums)
  TG_CHECKED_DEVICE_OP(activation_forward)
  TG_CHECKED_DEVICE_OP(activation_in_place)
  TG_CHECKED_DEVICE_OP(activation_backward)
  TG_CHECKED_DEVICE_OP(softmax_forward)
  TG_CHECKED_DEVICE_OP(softmax_backward)
  TG_CHECKED_DEVICE_OP(copy)
  TG_CHECKED_DEVICE_OP(fill)
  TG_CHECKED_DEVICE_OP(accumulate)
  TG_CHECKED_DEVICE_OP(add)
  TG_CHECKED_DEVICE_OP(multiply)
  TG_CHECKED_DEVICE_OP(copy_blocks)
  TG_CHECKED_DEVICE_OP(loss)
  TG_CHECKED_DEVICE_OP(count_correct)
  TG_CHECKED_DEVICE_OP(sum_squares)
  TG_CHECKED_DEVICE_OP(sum_squared_difference)
  TG_CHECKED_DEVICE_OP(mark_active)
  TG_CHECKED_DEVICE_OP(count_outside)
  TG_CHECKED_DEVICE_OP(batchnorm_forward_training)
  TG_CHECKED_DEVICE_OP(batchnorm_forward_inference)
  TG_CHECKED_DEVICE_OP(batchnorm_backward)
  TG_CHECKED_DEVICE_OP(dropout_forward)
  TG_CHECKED_DEVICE_OP(sgd)
  TG_CHECKED_DEVICE_OP(adam)
  TG_CHECKED_DEVICE_OP(rmsprop)
  TG_CHECKED_DEVICE_OP(im2col)
  TG_CHECKED_DEVICE_OP(col2im)
  TG_CHECKED_DEVICE_OP(max_pool_forward)
  TG_CHECKED_DEVICE_OP(max_pool_backward)
  TG_CHECKED_DEVICE_OP(avg_pool_forward)
  TG_CHECKED_DEVICE_OP(avg_pool_backward)
  TG_CHECKED_DEVICE_OP(global_avg_pool_forward)
  TG_CHECKED_DEVICE_OP(global_avg_pool_backward)

 private:
  Cpu cpu_{1u};
  checked::TransferCounts counts_;
  std::size_t memory_limit_ = 0;
};

#undef TG_CHECKED_DEVICE_OP

}  // namespace tensorguard
