// Where tensors live. A backend names its memory: HostMemory (plain pointers into Buffer<T>, the
// CPU's) or a device memory whose pointers cannot be dereferenced, so that host code touching
// device memory does not compile. Layers and containers are written against Tensors<Memory, T>
// and never learn which.
#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>

#include "../core/buffer.hpp"

namespace tensorguard {
namespace detail {
class PartSync;
}

// Memory the host may read and write: the CPU backend's.
struct HostMemory {
  static constexpr bool host_accessible = true;
  template <class T>
  using pointer = T*;
  template <class T>
  using buffer = Buffer<T>;
};

// A pointer into device memory: arithmetic and comparison, no dereference. Only a backend's ops
// turn it into an address (unsafe_address), inside the op.
template <class T>
class DevicePtr {
 public:
  using element_type = T;
  DevicePtr() = default;
  DevicePtr(std::nullptr_t) {}
  explicit DevicePtr(T* address) : p_(address) {}
  template <class U>
  requires std::is_convertible_v<U*, T*> DevicePtr(DevicePtr<U> other)
      : p_(other.unsafe_address()) {}

  DevicePtr operator+(std::size_t n) const { return DevicePtr(p_ + n); }
  DevicePtr operator-(std::size_t n) const { return DevicePtr(p_ - n); }
  DevicePtr& operator+=(std::size_t n) {
    p_ += n;
    return *this;
  }
  std::ptrdiff_t operator-(DevicePtr other) const { return p_ - other.p_; }
  explicit operator bool() const { return p_ != nullptr; }
  friend bool operator==(DevicePtr a, DevicePtr b) { return a.p_ == b.p_; }
  friend bool operator==(DevicePtr a, std::nullptr_t) { return a.p_ == nullptr; }

  // The raw address, for the backend's own kernels; host code must not read through it.
  T* unsafe_address() const { return p_; }

 private:
  T* p_ = nullptr;
};

// An owning array in a device's memory. Heap provides allocate(bytes) (zeroed memory),
// release(p) and copy(dst, src, bytes) (device to device). Grows only, like Buffer.
template <class T, class Heap>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(std::size_t n) { resize(n); }
  DeviceArray(const DeviceArray& other) : DeviceArray(other.size_) {
    if (size_) Heap::copy(data_, other.data_, size_ * sizeof(T));
  }
  DeviceArray(DeviceArray&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  DeviceArray& operator=(DeviceArray other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
    return *this;
  }
  ~DeviceArray() { Heap::release(data_); }

  void resize(std::size_t n) {
    if (n > capacity_) {
      T* grown = static_cast<T*>(Heap::allocate(n * sizeof(T)));
      Heap::release(data_);
      data_ = grown;
      capacity_ = n;
    }
    size_ = n;
  }
  DevicePtr<T> data() { return DevicePtr<T>(data_); }
  DevicePtr<const T> data() const { return DevicePtr<const T>(data_); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
};

template <class P>
inline constexpr bool is_device_pointer = false;
template <class T>
inline constexpr bool is_device_pointer<DevicePtr<T>> = true;

// The mutable pointer behind a const one (Flatten's output is its input's memory).
template <class T>
T* unconst(const T* p) {
  return const_cast<T*>(p);
}
template <class T>
DevicePtr<T> unconst(DevicePtr<const T> p) {
  return DevicePtr<T>(const_cast<T*>(p.unsafe_address()));
}

// The pointer and buffer types of scalar T in memory M: what layers are written against.
template <class M, class T>
struct Tensors {
  using memory = M;
  using scalar = T;
  using ptr = typename M::template pointer<T>;
  using cptr = typename M::template pointer<const T>;
  using buffer = typename M::template buffer<T>;
  template <class U>
  using buffer_of = typename M::template buffer<U>;
  static constexpr bool host_accessible = M::host_accessible;
};
template <class T>
using HostTensors = Tensors<HostMemory, T>;

// Parameter slices of a model's flat arrays, taken by layers in declaration order: the model's
// parameters, gradients and non-trainable state (BatchNormalization's running statistics).
// A replica that runs one part of a batch split across threads also gets the parts' PartSync
// and its part number (layers coupling samples combine statistics through it); others get none.
template <class M>
struct ParameterSlots {
  using P = typename M::ptr;
  P params{}, grads{}, state{};
  detail::PartSync* sync = nullptr;
  unsigned part = 0;
  std::size_t exchanges = 0;  // exchange areas of `sync` taken so far

  struct Slice {
    P value;
    P grad;
  };
  Slice take(std::size_t n) {
    Slice s{params, grads};
    params = params + n;
    if (grads) grads = grads + n;
    return s;
  }
  P take_state(std::size_t n) {
    P s = state;
    state = state + n;
    return s;
  }
};

// Host staging for initial values: layers write their first weights and state here, in the same
// order as attach, and the model uploads them once.
template <class T>
using InitialValues = ParameterSlots<HostTensors<T>>;

}  // namespace tensorguard
