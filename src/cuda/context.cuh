// The CUDA backend's context: what one Cuda object owns on the device.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <tensorguard/backend/cuda/kernels.cuh>

namespace tensorguard::cuda {

struct Context {
  int device = 0;
  int multiprocessors = 1;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  bool tf32 = false;
  void* blas_workspace = nullptr;  // given to cuBLAS so that it never allocates during a step
  size_t blas_workspace_bytes = 0;
  // A column of ones: bias gradients are dY times it (a GEMV), grown on first use.
  void* ones = nullptr;
  size_t ones_count = 0;
  bool ones_double = false;
  // Training passes as CUDA graphs (run_captured), a few keys at a time (a fit's full batches
  // and its last, shorter one): each with the allocation count it was captured at.
  struct Graph {
    cudaGraphExec_t exec = nullptr;
    size_t key = 0, allocations = 0, nodes = 0;
  };
  static constexpr int graph_slots = 4;
  Graph graph[graph_slots];
  int next_slot = 0;
  Graph* current = nullptr;  // the one replay() launches
  bool graphs = true;
  bool capturing = false;
  size_t seen_key = 0, seen_allocations = 0;  // the last pass run eagerly
  bool seen = false;
  size_t launches_at_capture = 0;
  size_t replays = 0;  // a capture queues nothing: its launches are not counted
  // Partial products of GEMMs with a long inner dimension (split_k), grown on first use.
  void* partial = nullptr;
  size_t partial_bytes = 0;
};

void check_blas(cublasStatus_t status, const char* what);

// A column of at least n ones of type T, kept by the context.
template <class T>
const T* ones(Context& context, size_t n);

}  // namespace tensorguard::cuda
