#include "model.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace tessera {

Activation parseActivation(const std::string& name) {
  if (name == "identity") return Activation::Identity;
  if (name == "tanh") return Activation::Tanh;
  if (name == "relu") return Activation::Relu;
  if (name == "gelu") return Activation::Gelu;
  if (name == "sigmoid") return Activation::Sigmoid;
  throw std::invalid_argument("unsupported activation: " + name);
}

static torch::Tensor activate(const torch::Tensor& x, Activation a) {
  switch (a) {
    case Activation::Identity: return x;
    case Activation::Tanh: return torch::tanh(x);
    case Activation::Relu: return torch::relu(x);
    case Activation::Sigmoid: return torch::sigmoid(x);
    case Activation::Gelu: return torch::gelu(x);  // exact (erf) form, as hidden_act "gelu" means
  }
  return x;
}

static torch::Tensor need(const std::map<std::string, torch::Tensor>& w, const std::string& name) {
  auto it = w.find(name);
  if (it == w.end()) throw std::invalid_argument("weight " + name + " is missing");
  return it->second;
}

Encoder::Encoder(const ModelConfig& config, const std::map<std::string, torch::Tensor>& w, std::vector<Projection> projection,
                 torch::Device device)
    : config_(config), device_(device), projection_(std::move(projection)) {
  auto to = [&](const torch::Tensor& t) { return t.to(device_); };
  word_ = to(need(w, "embeddings.word"));
  position_ = to(need(w, "embeddings.position"));
  if (w.count("embeddings.token_type")) tokenType_ = to(w.at("embeddings.token_type"));
  embLnW_ = to(need(w, "embeddings.ln.weight"));
  embLnB_ = to(need(w, "embeddings.ln.bias"));
  hidden_ = word_.size(1);
  if (hidden_ % config_.heads != 0) throw std::invalid_argument("hidden size is not a multiple of the head count");
  for (int i = 0;; i++) {
    std::string p = "layer." + std::to_string(i) + ".";
    if (!w.count(p + "q.weight")) break;
    EncoderLayer l;
    l.qw = to(need(w, p + "q.weight")); l.qb = to(need(w, p + "q.bias"));
    l.kw = to(need(w, p + "k.weight")); l.kb = to(need(w, p + "k.bias"));
    l.vw = to(need(w, p + "v.weight")); l.vb = to(need(w, p + "v.bias"));
    l.ow = to(need(w, p + "o.weight")); l.ob = to(need(w, p + "o.bias"));
    l.ln1w = to(need(w, p + "ln1.weight")); l.ln1b = to(need(w, p + "ln1.bias"));
    l.f1w = to(need(w, p + "ff1.weight")); l.f1b = to(need(w, p + "ff1.bias"));
    l.f2w = to(need(w, p + "ff2.weight")); l.f2b = to(need(w, p + "ff2.bias"));
    l.ln2w = to(need(w, p + "ln2.weight")); l.ln2b = to(need(w, p + "ln2.bias"));
    layers_.push_back(std::move(l));
  }
  if (layers_.empty()) throw std::invalid_argument("no encoder layers in the weights");
  outputDim_ = hidden_;
  for (auto& p : projection_) {
    p.weight = to(p.weight);
    if (p.bias.defined()) p.bias = to(p.bias);
    if (p.weight.size(1) != outputDim_) throw std::invalid_argument("projection layer input does not match the previous width");
    outputDim_ = p.weight.size(0);
  }
}

torch::Tensor Encoder::forward(const torch::Tensor& idsCpu, const torch::Tensor& maskCpu, const torch::Tensor& typesCpu) const {
  c10::InferenceMode guard;
  const int64_t B = idsCpu.size(0), L = idsCpu.size(1), H = hidden_, nh = config_.heads, dh = H / nh;
  if (L > position_.size(0)) throw std::invalid_argument("sequence longer than the model's position embeddings");
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

  // Masked keys get the most negative float added, as transformers does: no weight after softmax.
  auto bias = (1.0 - mask.to(torch::kFloat)).view({B, 1, 1, L}) * std::numeric_limits<float>::lowest();
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  for (const auto& l : layers_) {
    auto split = [&](const torch::Tensor& t) { return t.view({B, L, nh, dh}).transpose(1, 2); };
    auto q = split(torch::linear(x, l.qw, l.qb));
    auto k = split(torch::linear(x, l.kw, l.kb));
    auto v = split(torch::linear(x, l.vw, l.vb));
    auto scores = torch::matmul(q, k.transpose(-1, -2)) * scale + bias;
    auto ctx = torch::matmul(torch::softmax(scores, -1), v).transpose(1, 2).reshape({B, L, H});
    auto a = torch::layer_norm(torch::linear(ctx, l.ow, l.ob) + x, {H}, l.ln1w, l.ln1b, config_.eps);
    auto f = activate(torch::linear(a, l.f1w, l.f1b), config_.hiddenAct);
    x = torch::layer_norm(torch::linear(f, l.f2w, l.f2b) + a, {H}, l.ln2w, l.ln2b, config_.eps);
  }
  for (const auto& p : projection_) x = activate(p.bias.defined() ? torch::linear(x, p.weight, p.bias) : torch::linear(x, p.weight), p.activation);
  return x.to(torch::kCPU, torch::kFloat).contiguous();
}

}  // namespace tessera
