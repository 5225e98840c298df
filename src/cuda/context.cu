// Device, stream, memory and transfers of the CUDA backend, and its BLAS ops over cuBLAS.
#include <atomic>
#include <string>

#include "context.cuh"

namespace tensorguard::cuda {

namespace {
std::atomic<size_t> allocations{0};
std::atomic<size_t> launches{0};
__global__ void empty_kernel() {}

const char* blas_status_name(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
    default:
      return "a cuBLAS error";
  }
}
}  // namespace

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    throw Error(std::string("CUDA: ") + what + " failed: " + cudaGetErrorString(status) + " (" +
                cudaGetErrorName(status) + ")");
}
void check_blas(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw Error(std::string("cuBLAS: ") + what + " failed: " + blas_status_name(status));
}

std::string device_problem() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear it
    return std::string("no usable CUDA device: ") + cudaGetErrorString(status);
  }
  if (count == 0) return "no CUDA device is present";
  return "";
}
std::string device_name() {
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, 0) != cudaSuccess) return "none";
  return properties.name;
}

void ContextDeleter::operator()(Context* c) const {
  if (!c) return;
  if (c->stream) cudaStreamSynchronize(c->stream);
  if (c->blas) cublasDestroy(c->blas);
  if (c->stream) cudaStreamDestroy(c->stream);
  cudaFree(c->blas_workspace);
  cudaFree(c->ones);
  cudaFree(c->partial);
  forget_graph(*c);
  delete c;
}

ContextHandle make_context() {
  if (const std::string problem = device_problem(); !problem.empty())
    throw Error("tg::Cuda: " + problem +
                "; train on tg::Cpu here, or run on a machine with an NVIDIA GPU and driver");
  ContextHandle c(new Context);
  check(cudaGetDevice(&c->device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&c->multiprocessors, cudaDevAttrMultiProcessorCount, c->device),
        "cudaDeviceGetAttribute");
  check(cudaStreamCreate(&c->stream), "cudaStreamCreate");
  check_blas(cublasCreate(&c->blas), "cublasCreate");
  check_blas(cublasSetStream(c->blas, c->stream), "cublasSetStream");
  check_blas(cublasSetMathMode(c->blas, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  c->blas_workspace_bytes = size_t(32) << 20;
  check(cudaMalloc(&c->blas_workspace, c->blas_workspace_bytes), "cudaMalloc (cuBLAS workspace)");
  check_blas(cublasSetWorkspace(c->blas, c->blas_workspace, c->blas_workspace_bytes),
             "cublasSetWorkspace");
  return c;
}

cudaStream_t stream_of(Context& c) { return c.stream; }
void count_launch() { launches.fetch_add(1, std::memory_order_relaxed); }

namespace {
void drop_graphs(Context& c) {
  for (auto& g : c.graph) {
    if (g.exec) cudaGraphExecDestroy(g.exec);
    g = {};
  }
  c.current = nullptr;
}
}  // namespace

GraphStep graph_step(Context& c, size_t key) {
  const size_t now = allocations.load();
  if (!c.graphs) return GraphStep::eager;
  for (auto& g : c.graph)
    if (g.exec && g.key == key && g.allocations == now) {
      c.current = &g;
      return GraphStep::replay;
    }
  // Capture only a pass that already ran once with these buffers: its allocations are done.
  if (c.seen && c.seen_key == key && c.seen_allocations == now) return GraphStep::capture;
  c.seen = true;
  c.seen_key = key;
  c.seen_allocations = now;
  return GraphStep::eager;
}
void begin_capture(Context& c) {
  check(cudaStreamBeginCapture(c.stream, cudaStreamCaptureModeThreadLocal), "graph capture");
  c.capturing = true;
  c.launches_at_capture = launches.load();
}
namespace {
// A capture queues nothing: the launches counted during it are taken back.
void uncount_capture(Context& c) {
  const size_t counted = launches.load() - c.launches_at_capture;
  launches.fetch_sub(counted);
}
}  // namespace
void abandon_capture(Context& c) {
  if (!c.capturing) return;
  cudaGraph_t graph = nullptr;
  cudaStreamEndCapture(c.stream, &graph);
  if (graph) cudaGraphDestroy(graph);
  cudaGetLastError();
  c.capturing = false;
  uncount_capture(c);
  c.graphs = false;  // something in the pass cannot be captured: run it eagerly from now on
  drop_graphs(c);
}
bool end_capture(Context& c, size_t key) {
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(c.stream, &graph);
  c.capturing = false;
  uncount_capture(c);
  Context::Graph& slot = c.graph[c.next_slot];
  c.next_slot = (c.next_slot + 1) % Context::graph_slots;
  if (slot.exec) cudaGraphExecDestroy(slot.exec);
  slot = {};
  c.current = nullptr;
  if (ended != cudaSuccess || !graph || cudaGraphInstantiate(&slot.exec, graph, 0) != cudaSuccess) {
    if (graph) cudaGraphDestroy(graph);
    cudaGetLastError();
    slot = {};
    c.graphs = false;
    drop_graphs(c);
    return false;
  }
  cudaGraphGetNodes(graph, nullptr, &slot.nodes);
  cudaGraphDestroy(graph);
  slot.key = key;
  slot.allocations = allocations.load();
  c.current = &slot;
  return true;
}
void replay(Context& c) {
  check(cudaGraphLaunch(c.current->exec, c.stream), "cudaGraphLaunch");
  ++c.replays;
  launches.fetch_add(c.current->nodes, std::memory_order_relaxed);
}
void forget_graph(Context& c) {
  drop_graphs(c);
  c.seen = false;
}
void set_graphs(Context& c, bool enabled) {
  c.graphs = enabled;
  if (!enabled) drop_graphs(c);
}
bool graphs(const Context& c) { return c.graphs; }
size_t graph_replays(const Context& c) { return c.replays; }
size_t launch_count() { return launches.load(); }
double empty_launch_seconds(Context& c, int count) {
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");
  for (int i = 0; i < 100; ++i) empty_kernel<<<1, 32, 0, c.stream>>>();
  check(cudaEventRecord(start, c.stream), "cudaEventRecord");
  for (int i = 0; i < count; ++i) empty_kernel<<<1, 32, 0, c.stream>>>();
  check(cudaEventRecord(stop, c.stream), "cudaEventRecord");
  check(cudaEventSynchronize(stop), "cudaEventSynchronize");
  float ms = 0;
  check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return double(ms) / 1e3 / count;
}
int multiprocessors(Context& c) { return c.multiprocessors; }

void* allocate(size_t bytes) {
  void* p = nullptr;
  if (bytes == 0) bytes = 1;
  const cudaError_t status = cudaMalloc(&p, bytes);
  if (status != cudaSuccess) {
    cudaGetLastError();
    size_t free = 0, total = 0;
    cudaMemGetInfo(&free, &total);
    throw Error("tg::Cuda: cannot allocate " + std::to_string(bytes) + " bytes of device memory (" +
                std::to_string(free >> 20) + " MiB free of " + std::to_string(total >> 20) +
                " MiB): " + cudaGetErrorString(status) + "; use a smaller batch");
  }
  if (const cudaError_t zeroed = cudaMemset(p, 0, bytes); zeroed != cudaSuccess) {
    cudaFree(p);
    check(zeroed, "cudaMemset");
  }
  ++allocations;
  return p;
}
void release(void* p) noexcept {
  if (p) cudaFree(p);
}
size_t allocation_count() { return allocations.load(); }
void copy_device_bytes(void* dst, const void* src, size_t bytes) {
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "cudaMemcpy (device to device)");
}

void upload_bytes(Context& c, const void* host, void* device, size_t bytes) {
  check(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, c.stream), "upload");
}
void download_bytes(Context& c, const void* device, void* host, size_t bytes) {
  check(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, c.stream), "download");
  check(cudaStreamSynchronize(c.stream), "a kernel before this download");
}
void synchronize(Context& c) { check(cudaStreamSynchronize(c.stream), "cudaStreamSynchronize"); }
size_t free_memory_bytes(Context&) {
  size_t free = 0, total = 0;
  check(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
  return free;
}
void set_tf32(Context& c, bool allowed) {
  if (allowed != c.tf32) forget_graph(c);  // captured GEMMs keep the math mode they ran with
  c.tf32 = allowed;
  check_blas(cublasSetMathMode(c.blas, allowed ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
             "cublasSetMathMode");
}
bool tf32(const Context& c) { return c.tf32; }

template <class T>
const T* ones(Context& c, size_t n) {
  constexpr bool is_double = sizeof(T) == sizeof(double);
  if (c.ones_count < n || c.ones_double != is_double) {
    void* grown = allocate(n * sizeof(T));  // first: a failure leaves the old block in place
    cudaFree(c.ones);
    c.ones = grown;
    c.ones_count = n;
    c.ones_double = is_double;
    launch(c, Fill<T>{static_cast<T*>(c.ones), T(1)}, n, "ones");
  }
  return static_cast<const T*>(c.ones);
}

namespace {
cublasOperation_t op(bool transpose) { return transpose ? CUBLAS_OP_T : CUBLAS_OP_N; }
}  // namespace

// cuBLAS's GEMM entry points by element type.
cublasStatus_t plain_gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                          int n, int k, const float* alpha, const float* a, int lda, const float* b,
                          int ldb, const float* beta, float* c, int ldc) {
  return cublasSgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
cublasStatus_t plain_gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                          int n, int k, const double* alpha, const double* a, int lda,
                          const double* b, int ldb, const double* beta, double* c, int ldc) {
  return cublasDgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
cublasStatus_t batched_gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                            int n, int k, const float* alpha, const float* a, int lda, long long sa,
                            const float* b, int ldb, long long sb, const float* beta, float* c,
                            int ldc, long long sc, int count) {
  return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc,
                                   sc, count);
}
cublasStatus_t batched_gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                            int n, int k, const double* alpha, const double* a, int lda,
                            long long sa, const double* b, int ldb, long long sb,
                            const double* beta, double* c, int ldc, long long sc, int count) {
  return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc,
                                   sc, count);
}

// Slices of the inner dimension for a GEMM whose output is too small to fill the GPU but whose
// inner dimension is long (dW = dZ P^T of a convolution at batch 1024: 32 x 9 outputs over 692k
// pixels), which cuBLAS would stream through a handful of blocks. 1 means no split: below about
// 128k the split's extra launches cost more than they save (measured on an H200, batch 64).
// A slice count that divides k avoids a separate GEMM for the remainder.
size_t split_k_slices(const Context& c, size_t m, size_t n, size_t k) {
  const size_t tiles = ((m + 63) / 64) * ((n + 63) / 64);
  if (k < (size_t(1) << 17) || tiles >= size_t(c.multiprocessors)) return 1;
  const size_t most = 2 * size_t(c.multiprocessors), wanted = k / 8192 < most ? k / 8192 : most;
  for (size_t s = wanted; s > wanted / 2; --s)
    if (k % s == 0) return s;
  return wanted;
}

template <class T>
void gemm(Context& c, bool ta, bool tb, size_t m, size_t n, size_t k, T alpha, const T* a,
          size_t lda, const T* b, size_t ldb, T beta, T* y, size_t ldc) {
  if (m == 0 || n == 0) return;
  const size_t slices = split_k_slices(c, m, n, k);
  if (slices < 2) {
    check_blas(plain_gemm(c.blas, op(ta), op(tb), int(m), int(n), int(k), &alpha, a, int(lda), b,
                          int(ldb), &beta, y, int(ldc)),
               "GEMM");
    count_launch();
    return;
  }
  // `slices` equal slices in one batched call, the remainder in one more, then one sum.
  const size_t width = k / slices, rest = k - slices * width, used = slices + (rest ? 1 : 0);
  const size_t bytes = used * m * n * sizeof(T);
  if (c.partial_bytes < bytes) {
    void* grown = allocate(bytes);  // first: a failure leaves the old block in place
    cudaFree(c.partial);
    c.partial = grown;
    c.partial_bytes = bytes;
  }
  T* partial = static_cast<T*>(c.partial);
  // Where slice s starts: along A's columns (or rows when transposed), B's rows (or columns).
  const long long step_a = ta ? (long long)width : (long long)(width * lda);
  const long long step_b = tb ? (long long)(width * ldb) : (long long)width;
  const T zero = 0;
  check_blas(
      batched_gemm(c.blas, op(ta), op(tb), int(m), int(n), int(width), &alpha, a, int(lda), step_a,
                   b, int(ldb), step_b, &zero, partial, int(m), (long long)(m * n), int(slices)),
      "GEMM (split inner dimension)");
  count_launch();
  if (rest) {
    check_blas(plain_gemm(c.blas, op(ta), op(tb), int(m), int(n), int(rest), &alpha,
                          a + slices * step_a, int(lda), b + slices * step_b, int(ldb), &zero,
                          partial + slices * m * n, int(m)),
               "GEMM (split remainder)");
    count_launch();
  }
  launch(c, SumSlices<T>{partial, used, m, n, y, ldc, beta}, m * n, "GEMM (sum of slices)");
}

// db += dY * ones: the sums of dY's columns, as a GEMM (split like dW's when dY is long).
template <class T>
void add_column_sums(Context& c, const T* dy, size_t rows, size_t cols, T* db) {
  if (rows == 0 || cols == 0) return;
  gemm<T>(c, false, false, rows, 1, cols, T(1), dy, rows, ones<T>(c, cols), cols, T(1), db, rows);
}

template <class T>
void fill_columns(Context& c, T* y, const T* bias, size_t rows, size_t cols) {
  launch(c, BiasColumns<T, false>{y, bias, rows}, rows * cols, "fill_columns");
}
template <class T>
void add_bias(Context& c, T* y, const T* bias, size_t rows, size_t cols) {
  launch(c, BiasColumns<T, true>{y, bias, rows}, rows * cols, "add_bias");
}

#define TG_INSTANTIATE(T)                                                                  \
  template const T* ones<T>(Context&, size_t);                                             \
  template void gemm<T>(Context&, bool, bool, size_t, size_t, size_t, T, const T*, size_t, \
                        const T*, size_t, T, T*, size_t);                                  \
  template void add_column_sums<T>(Context&, const T*, size_t, size_t, T*);                \
  template void fill_columns<T>(Context&, T*, const T*, size_t, size_t);                   \
  template void add_bias<T>(Context&, T*, const T*, size_t, size_t);
TG_INSTANTIATE(float)
#ifndef TG_CUDA_FLOAT_ONLY  // nvcc_float_kernels_have_no_fp64 builds the float kernels alone
TG_INSTANTIATE(double)
#endif
#undef TG_INSTANTIATE

}  // namespace tensorguard::cuda
