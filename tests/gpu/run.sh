#!/usr/bin/env bash
# Every GPU check of the CUDA backend, in one go on a GPU machine (about 5 minutes on an H100):
#   tests/gpu/run.sh [BUILD_DIR] [FASHION_MNIST_DIR] [RESULTS_DIR]
# BUILD_DIR holds tests/test_cuda, examples/*_cuda and bench/{cuda_epoch,bench_layers,
# bench_training}, built with -DTG_BUILD_BENCH=ON where the CUDA toolkit is (no compiler is needed
# on the GPU machine; a lib/ folder beside them may bring libbenchmark). It runs: op parity Cuda vs Cpu, a double-precision
# gradient check on the GPU, the README CNN and the MLP for 300 steps on both backends, the
# learning-rate example's stop on both, the allocation count, compute-sanitizer memcheck and
# racecheck, then the timings of tg::Cuda and of PyTorch (bench/peer_pytorch.py) in the same run.
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build-gpu}
DATA=${2:-/usr/share/datasets/fashion-mnist}
RESULTS=${3:-gpu-results}
mkdir -p "$RESULTS"
export TG_FASHION_MNIST=$DATA
export TG_THREADS=${TG_THREADS:-8}  # the Cpu side of the comparisons
# cuBLAS: the toolkit's, else the one PyTorch's wheels bring.
blas=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${blas}:$BIN/lib:${LD_LIBRARY_PATH:-}
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "$RESULTS/gpu.txt"
date -u | tee -a "$RESULTS/gpu.txt"
failed=()
check() {
  local name=$1 limit=$2
  shift 2
  echo "== $name"
  local start=$SECONDS
  if timeout "$limit" "$@"; then
    echo "== $name: passed in $((SECONDS - start)) s"
  else
    echo "== $name: FAILED (exit $?) after $((SECONDS - start)) s"
    failed+=("$name")
  fi
}

check "Cuda vs Cpu: ops, gradients, training, guards, allocations" 240 \
  "$BIN/tests/test_cuda" -r compact -d yes
if [ -n "$sanitizer" ]; then
  check "compute-sanitizer memcheck: training steps, eager and graphed" 120 \
    "$sanitizer" --tool memcheck --error-exitcode 1 --leak-check full \
    "$BIN/tests/test_cuda" -r compact "A training step on Cuda allocates nothing after the first,Training steps replay a CUDA graph and train exactly as launched one by one"
  check "compute-sanitizer racecheck: every op" 120 \
    "$sanitizer" --tool racecheck --error-exitcode 1 \
    "$BIN/tests/test_cuda" -r compact "Every Cuda op computes what the Cpu op computes"
else
  echo "== compute-sanitizer not found: memcheck and racecheck skipped"
  failed+=("compute-sanitizer missing")
fi
check "the README example on the GPU (fashion_mnist_cnn_cuda, one epoch)" 60 \
  "$BIN/examples/fashion_mnist_cnn_cuda"
check "the learning-rate example on the GPU (guard_learning_rate_cuda)" 90 \
  "$BIN/examples/guard_learning_rate_cuda"
nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 100 > "$RESULTS/utilization.txt" &
sampler=$!
check "timings: tg::Cuda" 180 "$BIN/bench/cuda_epoch" "$RESULTS/cuda_epoch.csv"
kill $sampler 2>/dev/null
check "benchmarks: every layer and the training step on tg::Cuda" 120 \
  "$BIN/bench/bench_layers" --benchmark_filter=Cuda --benchmark_min_time=0.1 \
  --benchmark_out="$RESULTS/bench_layers.json" --benchmark_out_format=json
check "benchmarks: training steps, Cuda and Cpu" 120 \
  "$BIN/bench/bench_training" "--benchmark_filter=train_step<(Mlp|Cnn)(, Cuda)?>" \
  --benchmark_min_time=0.2
check "timings: PyTorch" 240 python3 bench/peer_pytorch.py "$DATA" "$RESULTS/pytorch.csv"

if [ ${#failed[@]} -eq 0 ]; then
  echo "tests/gpu: every check passed"
else
  printf 'tests/gpu: FAILED: %s\n' "${failed[@]}"
  exit 1
fi
