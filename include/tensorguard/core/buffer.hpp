// Buffer<T>: an owning, 64-byte aligned array. Every tensor the library holds lives in one;
// backends map their math over these pointers.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <utility>

namespace tensorguard {

template <class T>
class Buffer {
 public:
  static constexpr std::size_t alignment = 64;

  Buffer() = default;
  explicit Buffer(std::size_t n) { resize(n); }
  Buffer(const Buffer& other) : Buffer(other.size_) {
    if (size_) std::memcpy(data_, other.data_, size_ * sizeof(T));
  }
  Buffer(Buffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  Buffer& operator=(Buffer other) noexcept {
    swap(other);
    return *this;
  }
  ~Buffer() { release(); }

  void swap(Buffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

  // Grows only: shrinking keeps the memory, so alternating batch sizes never reallocate.
  void resize(std::size_t n) {
    if (n > capacity_) {
      release();
      data_ = static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t{alignment}));
      capacity_ = n;
      std::fill_n(data_, n, T{});
    }
    size_ = n;
  }
  void fill(T value) { std::fill_n(data_, size_, value); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

 private:
  void release() {
    if (data_) ::operator delete[](data_, std::align_val_t{alignment});
    data_ = nullptr;
    size_ = capacity_ = 0;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace tensorguard
