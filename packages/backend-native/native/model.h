// Text encoders in libtorch ops: a BERT-family encoder (BERT, DistilBERT, RoBERTa / XLM-RoBERTa
// positions) and ModernBERT, each followed by the ColBERT projection layers. Weights arrive under
// canonical names from JS (core's readEncoderWeights).
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tessera {

enum class Activation { Identity, Tanh, Relu, Gelu, GeluTanh, Sigmoid, Silu };

struct Projection {
  torch::Tensor weight;
  torch::Tensor bias;      // undefined when the layer has none
  torch::Tensor residual;  // undefined: no residual; a [out, in] matrix; or the identity flag below
  bool identityResidual = false;
  Activation activation = Activation::Identity;
};

struct ModelConfig {
  std::string architecture = "bert";  // "bert" or "modernbert"
  int64_t heads = 12;
  double eps = 1e-12;
  Activation hiddenAct = Activation::Gelu;
  // BERT family: RoBERTa-style positions (cumulative count of non-pad tokens, offset by the pad id).
  bool paddingPositions = false;
  int64_t padId = 0;
  // ModernBERT: which layers attend globally, the local window, the rotary bases.
  std::vector<bool> globalLayers;
  int64_t window = 64;
  double ropeThetaGlobal = 160000.0;
  double ropeThetaLocal = 10000.0;
};

using Weights = std::map<std::string, torch::Tensor>;

class Encoder {
 public:
  Encoder(const ModelConfig& config, std::vector<Projection> projection, torch::Device device, torch::ScalarType dtype);
  virtual ~Encoder();
  // Encoders alive in the process (each holds its weights on its device).
  static int64_t live();

  // ids, mask, types: [batch, seq] int64 on the CPU. Returns [batch, seq, dim] float32 on the CPU.
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& types) const;

  int64_t outputDim() const { return outputDim_; }
  const torch::Device& device() const { return device_; }
  torch::ScalarType dtype() const { return dtype_; }

 protected:
  // The backbone's hidden states [batch, seq, hidden] in the compute dtype, on the device.
  virtual torch::Tensor backbone(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& types) const = 0;
  torch::Tensor to(const torch::Tensor& t) const;
  // Optional weights: undefined when absent (bias-free ModernBERT norms and linears).
  torch::Tensor maybe(const Weights& w, const std::string& name) const;
  torch::Tensor need(const Weights& w, const std::string& name) const;
  void finishProjection(int64_t hidden);
  // Additive attention bias from a boolean [batch, 1, seq|1, seq] "may attend" mask, in float32.
  static torch::Tensor attentionBias(const torch::Tensor& allowed);
  // softmax(q k^T * scale + bias) v with the scores and softmax in float32.
  torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& bias, double scale) const;

  ModelConfig config_;
  torch::Device device_;
  torch::ScalarType dtype_;
  std::vector<Projection> projection_;
  int64_t outputDim_ = 0;
};

class BertEncoder : public Encoder {
 public:
  BertEncoder(const ModelConfig& config, const Weights& weights, std::vector<Projection> projection, torch::Device device, torch::ScalarType dtype);

 protected:
  torch::Tensor backbone(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& types) const override;

 private:
  struct Layer {
    torch::Tensor qw, qb, kw, kb, vw, vb, ow, ob, ln1w, ln1b, f1w, f1b, f2w, f2b, ln2w, ln2b;
  };
  torch::Tensor word_, position_, tokenType_, embLnW_, embLnB_;
  std::vector<Layer> layers_;
  int64_t hidden_ = 0;
};

class ModernBertEncoder : public Encoder {
 public:
  ModernBertEncoder(const ModelConfig& config, const Weights& weights, std::vector<Projection> projection, torch::Device device, torch::ScalarType dtype);

 protected:
  torch::Tensor backbone(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& types) const override;

 private:
  struct Layer {
    torch::Tensor attnNormW, attnNormB, qkvW, qkvB, oW, oB, mlpNormW, mlpNormB, wiW, wiB, woW, woB;
    bool global = true;
  };
  torch::Tensor word_, embLnW_, embLnB_, finalW_, finalB_;
  std::vector<Layer> layers_;
  int64_t hidden_ = 0;
};

Activation parseActivation(const std::string& name);
torch::Tensor activate(const torch::Tensor& x, Activation a);
torch::ScalarType parseDtype(const std::string& name);
std::unique_ptr<Encoder> makeEncoder(const ModelConfig& config, const Weights& weights, std::vector<Projection> projection, torch::Device device,
                                     torch::ScalarType dtype);

}  // namespace tessera
