// Device names as Tessera writes them ("cpu", "cuda", "cuda:1", "mps") to libtorch devices.
#pragma once
#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace tessera {

inline torch::Device parseDevice(const std::string& d) {
  if (d == "cpu") return torch::Device(torch::kCPU);
  if (d == "mps") {
    if (!at::hasMPS()) throw std::invalid_argument("device mps: this libtorch has no MPS support");
    return torch::Device(torch::kMPS);
  }
  if (d.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) throw std::invalid_argument("device " + d + ": this libtorch has no CUDA or no GPU is visible");
    int index = d.size() > 5 ? std::stoi(d.substr(5)) : 0;
    if (index >= static_cast<int>(torch::cuda::device_count()))
      throw std::invalid_argument("device " + d + ": only " + std::to_string(torch::cuda::device_count()) + " CUDA devices");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw std::invalid_argument("unknown device " + d);
}

}  // namespace tessera
