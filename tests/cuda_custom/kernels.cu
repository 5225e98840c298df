// The CUDA kernels of this project's own activations, as docs/backends.md tells users to write.
#include <tensorguard/backend/cuda/kernels.cuh>

#include "activation.hpp"

TG_CUDA_ACTIVATION(custom::QuarterLeak);
TG_CUDA_ACTIVATION(custom::Softsign);
