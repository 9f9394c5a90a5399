// NativeScorer: MaxSim through libtorch (matmul + amax + sum) over documents kept as tensors.
#pragma once
#include <napi.h>

namespace tessera {

Napi::Function initScorer(Napi::Env env);

}  // namespace tessera
