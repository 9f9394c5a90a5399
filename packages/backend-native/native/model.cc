#include "model.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tessera {

namespace {
std::atomic<int64_t> liveEncoders{0};
}

int64_t Encoder::live() { return liveEncoders.load(); }

Encoder::~Encoder() { liveEncoders--; }

Activation parseActivation(const std::string& name) {
  if (name == "identity") return Activation::Identity;
  if (name == "tanh") return Activation::Tanh;
  if (name == "relu") return Activation::Relu;
  if (name == "gelu") return Activation::Gelu;
  if (name == "gelu_tanh") return Activation::GeluTanh;
  if (name == "sigmoid") return Activation::Sigmoid;
  if (name == "silu") return Activation::Silu;
  throw std::invalid_argument("unsupported activation: " + name);
}

torch::Tensor activate(const torch::Tensor& x, Activation a) {
  switch (a) {
    case Activation::Identity: return x;
    case Activation::Tanh: return torch::tanh(x);
    case Activation::Relu: return torch::relu(x);
    case Activation::Sigmoid: return torch::sigmoid(x);
    case Activation::Gelu: return torch::gelu(x);  // exact (erf) form, as hidden_act "gelu" means
    case Activation::GeluTanh: return torch::gelu(x, "tanh");
    case Activation::Silu: return torch::silu(x);
  }
  return x;
}

torch::ScalarType parseDtype(const std::string& name) {
  if (name == "fp32") return torch::kFloat;
  if (name == "fp16") return torch::kHalf;
  if (name == "bf16") return torch::kBFloat16;
  throw std::invalid_argument("unsupported dtype " + name + " (fp32, fp16, bf16)");
}

Encoder::Encoder(const ModelConfig& config, std::vector<Projection> projection, torch::Device device, torch::ScalarType dtype)
    : config_(config), device_(device), dtype_(dtype), projection_(std::move(projection)) {
  liveEncoders++;
}

torch::Tensor Encoder::to(const torch::Tensor& t) const { return t.to(device_, dtype_); }

torch::Tensor Encoder::need(const Weights& w, const std::string& name) const {
  auto it = w.find(name);
  if (it == w.end()) throw std::invalid_argument("weight " + name + " is missing");
  return to(it->second);
}

torch::Tensor Encoder::maybe(const Weights& w, const std::string& name) const {
  auto it = w.find(name);
  return it == w.end() ? torch::Tensor() : to(it->second);
}

void Encoder::finishProjection(int64_t hidden) {
  outputDim_ = hidden;
  for (auto& p : projection_) {
    p.weight = to(p.weight);
    if (p.bias.defined()) p.bias = to(p.bias);
    if (p.residual.defined()) p.residual = to(p.residual);
    if (p.weight.size(1) != outputDim_) throw std::invalid_argument("projection layer input does not match the previous width");
    if (p.identityResidual && p.weight.size(0) != p.weight.size(1)) throw std::invalid_argument("an identity residual needs a square projection layer");
    outputDim_ = p.weight.size(0);
  }
}

torch::Tensor Encoder::attentionBias(const torch::Tensor& allowed) {
  // The most negative float, not -inf: a row that may attend to nothing (padding far from any
  // token in a sliding window) gets uniform weights instead of NaN, as transformers' eager path.
  return torch::zeros(allowed.sizes(), torch::TensorOptions().dtype(torch::kFloat).device(allowed.device()))
      .masked_fill(allowed.logical_not(), std::numeric_limits<float>::lowest());
}

torch::Tensor Encoder::attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& bias, double scale) const {
  auto scores = torch::matmul(q, k.transpose(-1, -2)).to(torch::kFloat) * scale + bias;
  return torch::matmul(torch::softmax(scores, -1).to(dtype_), v);
}

torch::Tensor Encoder::forward(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& types) const {
  c10::InferenceMode guard;
  auto x = backbone(ids, mask, types);
  for (const auto& p : projection_) {
    auto y = activate(p.bias.defined() ? torch::linear(x, p.weight, p.bias) : torch::linear(x, p.weight), p.activation);
    if (p.identityResidual) y = y + x;
    else if (p.residual.defined()) y = y + torch::linear(x, p.residual);
    x = y;
  }
  return x.to(torch::kCPU, torch::kFloat).contiguous();
}

std::unique_ptr<Encoder> makeEncoder(const ModelConfig& config, const Weights& weights, std::vector<Projection> projection, torch::Device device,
                                     torch::ScalarType dtype) {
  if (config.architecture == "modernbert") return std::make_unique<ModernBertEncoder>(config, weights, std::move(projection), device, dtype);
  if (config.architecture == "bert") return std::make_unique<BertEncoder>(config, weights, std::move(projection), device, dtype);
  throw std::invalid_argument("unknown architecture " + config.architecture);
}

}  // namespace tessera
