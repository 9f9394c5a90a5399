// ModernBERT: pre-norm layers with a fused QKV projection, rotary positions (one base for global
// layers, one for local ones), sliding-window attention on local layers, and a GeGLU feed-forward.
#include <cmath>
#include <stdexcept>

#include "model.h"

namespace tessera {

namespace {

torch::Tensor rotateHalf(const torch::Tensor& x) {
  auto halves = x.chunk(2, -1);
  return torch::cat({-halves[1], halves[0]}, -1);
}

// cos and sin [L, dh] for positions 0..L-1, in float32 as transformers computes them.
std::pair<torch::Tensor, torch::Tensor> rotary(int64_t L, int64_t dh, double theta, torch::Device device) {
  auto f = torch::TensorOptions().dtype(torch::kFloat).device(device);
  auto invFreq = 1.0 / torch::pow(theta, torch::arange(0, dh, 2, f) / static_cast<double>(dh));
  auto freqs = torch::outer(torch::arange(L, f), invFreq);
  auto emb = torch::cat({freqs, freqs}, -1);
  return {emb.cos(), emb.sin()};
}

torch::Tensor norm(const torch::Tensor& x, int64_t H, const torch::Tensor& w, const torch::Tensor& b, double eps) {
  return torch::layer_norm(x, {H}, w, b, eps);
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  return b.defined() ? torch::linear(x, w, b) : torch::linear(x, w);
}

}  // namespace

ModernBertEncoder::ModernBertEncoder(const ModelConfig& config, const Weights& w, std::vector<Projection> projection, torch::Device device,
                                     torch::ScalarType dtype)
    : Encoder(config, std::move(projection), device, dtype) {
  word_ = need(w, "embeddings.word");
  embLnW_ = need(w, "embeddings.ln.weight");
  embLnB_ = maybe(w, "embeddings.ln.bias");
  finalW_ = need(w, "final_norm.weight");
  finalB_ = maybe(w, "final_norm.bias");
  hidden_ = word_.size(1);
  if (hidden_ % config_.heads != 0) throw std::invalid_argument("hidden size is not a multiple of the head count");
  if (static_cast<int64_t>(config_.globalLayers.size()) == 0) throw std::invalid_argument("ModernBERT needs its layer pattern (globalLayers)");
  for (size_t i = 0; i < config_.globalLayers.size(); i++) {
    std::string p = "layer." + std::to_string(i) + ".";
    Layer l;
    // The first layer has no attention norm (Identity in the reference).
    l.attnNormW = maybe(w, p + "attn_norm.weight");
    l.attnNormB = maybe(w, p + "attn_norm.bias");
    l.qkvW = need(w, p + "qkv.weight"); l.qkvB = maybe(w, p + "qkv.bias");
    l.oW = need(w, p + "o.weight"); l.oB = maybe(w, p + "o.bias");
    l.mlpNormW = need(w, p + "mlp_norm.weight"); l.mlpNormB = maybe(w, p + "mlp_norm.bias");
    l.wiW = need(w, p + "wi.weight"); l.wiB = maybe(w, p + "wi.bias");
    l.woW = need(w, p + "wo.weight"); l.woB = maybe(w, p + "wo.bias");
    l.global = config_.globalLayers[i];
    if (i > 0 && !l.attnNormW.defined()) throw std::invalid_argument("weight " + p + "attn_norm.weight is missing");
    layers_.push_back(std::move(l));
  }
  finishProjection(hidden_);
}

torch::Tensor ModernBertEncoder::backbone(const torch::Tensor& idsCpu, const torch::Tensor& maskCpu, const torch::Tensor&) const {
  const int64_t B = idsCpu.size(0), L = idsCpu.size(1), H = hidden_, nh = config_.heads, dh = H / nh;
  auto ids = idsCpu.to(device_);
  auto keys = maskCpu.to(device_).to(torch::kBool).view({B, 1, 1, L});
  auto pos = torch::arange(L, torch::TensorOptions().dtype(torch::kLong).device(device_));
  auto inWindow = (pos.unsqueeze(1) - pos.unsqueeze(0)).abs().le(config_.window).view({1, 1, L, L});
  auto globalBias = attentionBias(keys);
  auto localBias = attentionBias(keys.logical_and(inWindow));
  auto [cosG, sinG] = rotary(L, dh, config_.ropeThetaGlobal, device_);
  auto [cosL, sinL] = rotary(L, dh, config_.ropeThetaLocal, device_);
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));

  auto x = norm(torch::embedding(word_, ids), H, embLnW_, embLnB_, config_.eps);
  for (const auto& l : layers_) {
    auto h = l.attnNormW.defined() ? norm(x, H, l.attnNormW, l.attnNormB, config_.eps) : x;
    auto qkv = linear(h, l.qkvW, l.qkvB).view({B, L, 3, nh, dh});
    auto q = qkv.select(2, 0).transpose(1, 2);
    auto k = qkv.select(2, 1).transpose(1, 2);
    auto v = qkv.select(2, 2).transpose(1, 2);
    const auto& cos = l.global ? cosG : cosL;
    const auto& sin = l.global ? sinG : sinL;
    // Rotary in float32, then back to the compute dtype (as the reference does).
    q = (q.to(torch::kFloat) * cos + rotateHalf(q.to(torch::kFloat)) * sin).to(dtype_);
    k = (k.to(torch::kFloat) * cos + rotateHalf(k.to(torch::kFloat)) * sin).to(dtype_);
    auto ctx = attend(q, k, v, l.global ? globalBias : localBias, scale).transpose(1, 2).reshape({B, L, H});
    x = x + linear(ctx, l.oW, l.oB);
    auto gates = linear(norm(x, H, l.mlpNormW, l.mlpNormB, config_.eps), l.wiW, l.wiB).chunk(2, -1);
    x = x + linear(activate(gates[0], config_.hiddenAct) * gates[1], l.woW, l.woB);
  }
  return norm(x, H, finalW_, finalB_, config_.eps);
}

}  // namespace tessera
