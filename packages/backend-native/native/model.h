// A BERT-family encoder (BERT, DistilBERT, RoBERTa / XLM-RoBERTa positions) in libtorch ops,
// with the ColBERT projection layers after it. Weights arrive under canonical names from JS.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace tessera {

enum class Activation { Identity, Tanh, Relu, Gelu, Sigmoid };

struct EncoderLayer {
  torch::Tensor qw, qb, kw, kb, vw, vb, ow, ob, ln1w, ln1b, f1w, f1b, f2w, f2b, ln2w, ln2b;
};

struct Projection {
  torch::Tensor weight;
  torch::Tensor bias;  // undefined when the layer has none
  Activation activation;
};

struct ModelConfig {
  int64_t heads = 12;
  double eps = 1e-12;
  Activation hiddenAct = Activation::Gelu;
  // RoBERTa-style positions: cumulative count of non-pad tokens, offset by the pad id.
  bool paddingPositions = false;
  int64_t padId = 0;
};

class Encoder {
 public:
  Encoder(const ModelConfig& config, const std::map<std::string, torch::Tensor>& weights, std::vector<Projection> projection,
          torch::Device device);

  // ids, mask, types: [batch, seq] int64 on the CPU. Returns [batch, seq, dim] float32 on the CPU.
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& types) const;

  int64_t outputDim() const { return outputDim_; }
  const torch::Device& device() const { return device_; }

 private:
  ModelConfig config_;
  torch::Device device_;
  torch::Tensor word_, position_, tokenType_, embLnW_, embLnB_;
  std::vector<EncoderLayer> layers_;
  std::vector<Projection> projection_;
  int64_t hidden_ = 0;
  int64_t outputDim_ = 0;
};

Activation parseActivation(const std::string& name);

}  // namespace tessera
