// BERT, DistilBERT and RoBERTa / XLM-RoBERTa: post-norm layers, learned absolute positions.
#include <cmath>
#include <stdexcept>

#include "model.h"

namespace tessera {

BertEncoder::BertEncoder(const ModelConfig& config, const Weights& w, std::vector<Projection> projection, torch::Device device, torch::ScalarType dtype)
    : Encoder(config, std::move(projection), device, dtype) {
  word_ = need(w, "embeddings.word");
  position_ = need(w, "embeddings.position");
  tokenType_ = maybe(w, "embeddings.token_type");
  embLnW_ = need(w, "embeddings.ln.weight");
  embLnB_ = need(w, "embeddings.ln.bias");
  hidden_ = word_.size(1);
  if (hidden_ % config_.heads != 0) throw std::invalid_argument("hidden size is not a multiple of the head count");
  for (int i = 0;; i++) {
    std::string p = "layer." + std::to_string(i) + ".";
    if (!w.count(p + "q.weight")) break;
    Layer l;
    l.qw = need(w, p + "q.weight"); l.qb = need(w, p + "q.bias");
    l.kw = need(w, p + "k.weight"); l.kb = need(w, p + "k.bias");
    l.vw = need(w, p + "v.weight"); l.vb = need(w, p + "v.bias");
    l.ow = need(w, p + "o.weight"); l.ob = need(w, p + "o.bias");
    l.ln1w = need(w, p + "ln1.weight"); l.ln1b = need(w, p + "ln1.bias");
    l.f1w = need(w, p + "ff1.weight"); l.f1b = need(w, p + "ff1.bias");
    l.f2w = need(w, p + "ff2.weight"); l.f2b = need(w, p + "ff2.bias");
    l.ln2w = need(w, p + "ln2.weight"); l.ln2b = need(w, p + "ln2.bias");
    layers_.push_back(std::move(l));
  }
  if (layers_.empty()) throw std::invalid_argument("no encoder layers in the weights");
  finishProjection(hidden_);
}

torch::Tensor BertEncoder::backbone(const torch::Tensor& idsCpu, const torch::Tensor& maskCpu, const torch::Tensor& typesCpu) const {
  const int64_t B = idsCpu.size(0), L = idsCpu.size(1), H = hidden_, nh = config_.heads, dh = H / nh;
  // RoBERTa positions run from padId + 1 to padId + L.
  const int64_t needed = L + (config_.paddingPositions ? config_.padId + 1 : 0);
  if (needed > position_.size(0))
    throw std::invalid_argument("a sequence of " + std::to_string(L) + " tokens is longer than the model's position embeddings allow (" +
                                std::to_string(position_.size(0)) + " positions" +
                                (config_.paddingPositions ? ", padding offset " + std::to_string(config_.padId + 1) : "") + ")");
  auto ids = idsCpu.to(device_);
  auto mask = maskCpu.to(device_);
  torch::Tensor positions;
  if (config_.paddingPositions) {
    auto notPad = ids.ne(config_.padId).to(torch::kLong);
    positions = torch::cumsum(notPad, 1) * notPad + config_.padId;
  } else {
    positions = torch::arange(L, torch::TensorOptions().dtype(torch::kLong).device(device_)).unsqueeze(0).expand({B, L});
  }
  auto x = torch::embedding(word_, ids) + torch::embedding(position_, positions);
  if (tokenType_.defined()) x = x + torch::embedding(tokenType_, typesCpu.to(device_));
  x = torch::layer_norm(x, {H}, embLnW_, embLnB_, config_.eps);

  auto bias = attentionBias(mask.to(torch::kBool).view({B, 1, 1, L}));
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  auto split = [&](const torch::Tensor& t) { return t.view({B, L, nh, dh}).transpose(1, 2); };
  for (const auto& l : layers_) {
    auto ctx = attend(split(torch::linear(x, l.qw, l.qb)), split(torch::linear(x, l.kw, l.kb)), split(torch::linear(x, l.vw, l.vb)), bias, scale)
                   .transpose(1, 2).reshape({B, L, H});
    auto a = torch::layer_norm(torch::linear(ctx, l.ow, l.ob) + x, {H}, l.ln1w, l.ln1b, config_.eps);
    auto f = activate(torch::linear(a, l.f1w, l.f1b), config_.hiddenAct);
    x = torch::layer_norm(torch::linear(f, l.f2w, l.f2b) + a, {H}, l.ln2w, l.ln2b, config_.eps);
  }
  return x;
}

}  // namespace tessera
