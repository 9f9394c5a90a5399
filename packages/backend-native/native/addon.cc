// Node binding: NativeEncoder(config, weights, projection, device) with an async forward().
// Every C++ exception becomes a JS error; the forward pass runs on the libuv thread pool.
#include <napi.h>
#include <torch/torch.h>

#include <cstring>
#include <memory>
#include <string>

#include "device.h"
#include "model.h"
#include "scorer.h"

namespace {

torch::Tensor tensorFrom(const Napi::Value& value, const std::string& name) {
  if (!value.IsObject()) throw std::invalid_argument("weight " + name + " must be { data: Float32Array, shape: number[] }");
  auto obj = value.As<Napi::Object>();
  auto data = obj.Get("data");
  auto shape = obj.Get("shape");
  if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || !shape.IsArray())
    throw std::invalid_argument("weight " + name + " must be { data: Float32Array, shape: number[] }");
  auto arr = data.As<Napi::Float32Array>();
  auto dims = shape.As<Napi::Array>();
  std::vector<int64_t> sizes;
  int64_t numel = 1;
  for (uint32_t i = 0; i < dims.Length(); i++) {
    sizes.push_back(dims.Get(i).As<Napi::Number>().Int64Value());
    numel *= sizes.back();
  }
  if (numel != static_cast<int64_t>(arr.ElementLength())) throw std::invalid_argument("weight " + name + " has the wrong number of elements for its shape");
  // Copy: the JS buffer may be collected or reused once the constructor returns.
  return torch::from_blob(arr.Data(), sizes, torch::kFloat).clone();
}

class ForwardWorker : public Napi::AsyncWorker {
 public:
  ForwardWorker(Napi::Env env, std::shared_ptr<const tessera::Encoder> encoder, torch::Tensor ids, torch::Tensor mask, torch::Tensor types)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        encoder_(std::move(encoder)),
        ids_(std::move(ids)),
        mask_(std::move(mask)),
        types_(std::move(types)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      out_ = encoder_->forward(ids_, mask_, types_);
    } catch (const std::exception& e) {
      SetError(std::string("libtorch forward failed: ") + e.what());
    }
  }

  void OnOK() override {
    auto env = Env();
    auto arr = Napi::Float32Array::New(env, static_cast<size_t>(out_.numel()));
    std::memcpy(arr.Data(), out_.data_ptr<float>(), sizeof(float) * out_.numel());
    auto result = Napi::Object::New(env);
    result.Set("data", arr);
    result.Set("dim", Napi::Number::New(env, static_cast<double>(out_.size(2))));
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<const tessera::Encoder> encoder_;
  torch::Tensor ids_, mask_, types_, out_;
};

tessera::ModelConfig parseConfig(const Napi::Object& cfg) {
  tessera::ModelConfig config;
  auto str = [&](const char* k, const std::string& d) { return cfg.Has(k) && cfg.Get(k).IsString() ? cfg.Get(k).As<Napi::String>().Utf8Value() : d; };
  auto num = [&](const char* k, double d) { return cfg.Has(k) && cfg.Get(k).IsNumber() ? cfg.Get(k).As<Napi::Number>().DoubleValue() : d; };
  config.architecture = str("architecture", "bert");
  config.heads = static_cast<int64_t>(num("heads", 12));
  config.eps = num("eps", 1e-12);
  config.hiddenAct = tessera::parseActivation(str("hiddenAct", "gelu"));
  config.paddingPositions = cfg.Has("paddingPositions") && cfg.Get("paddingPositions").ToBoolean().Value();
  config.padId = static_cast<int64_t>(num("padId", 0));
  config.window = static_cast<int64_t>(num("window", 64));
  config.ropeThetaGlobal = num("ropeThetaGlobal", 160000.0);
  config.ropeThetaLocal = num("ropeThetaLocal", 10000.0);
  if (cfg.Has("globalLayers") && cfg.Get("globalLayers").IsArray()) {
    auto layers = cfg.Get("globalLayers").As<Napi::Array>();
    for (uint32_t i = 0; i < layers.Length(); i++) config.globalLayers.push_back(layers.Get(i).ToBoolean().Value());
  }
  return config;
}

class NativeEncoder : public Napi::ObjectWrap<NativeEncoder> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeEncoder", {InstanceMethod("forward", &NativeEncoder::Forward), InstanceMethod("dispose", &NativeEncoder::Dispose)});
  }

  // new NativeEncoder(config, { name: {data, shape} }, [{ weight, bias?, residual?, activation }], device, dtype?)
  NativeEncoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeEncoder>(info) {
    auto env = info.Env();
    try {
      if (info.Length() < 4 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsArray() || !info[3].IsString())
        throw std::invalid_argument("NativeEncoder(config, weights, projection, device, dtype?)");
      auto config = parseConfig(info[0].As<Napi::Object>());
      tessera::Weights weights;
      auto w = info[1].As<Napi::Object>();
      auto names = w.GetPropertyNames();
      for (uint32_t i = 0; i < names.Length(); i++) {
        auto name = names.Get(i).As<Napi::String>().Utf8Value();
        weights[name] = tensorFrom(w.Get(name), name);
      }
      std::vector<tessera::Projection> projection;
      auto proj = info[2].As<Napi::Array>();
      for (uint32_t i = 0; i < proj.Length(); i++) {
        auto p = proj.Get(i).As<Napi::Object>();
        tessera::Projection layer;
        layer.weight = tensorFrom(p.Get("weight"), "projection weight");
        if (p.Has("bias") && p.Get("bias").IsObject()) layer.bias = tensorFrom(p.Get("bias"), "projection bias");
        if (p.Has("residual") && p.Get("residual").IsString()) layer.identityResidual = p.Get("residual").As<Napi::String>().Utf8Value() == "identity";
        else if (p.Has("residual") && p.Get("residual").IsObject()) layer.residual = tensorFrom(p.Get("residual"), "projection residual");
        layer.activation = tessera::parseActivation(p.Get("activation").As<Napi::String>().Utf8Value());
        projection.push_back(std::move(layer));
      }
      auto dtype = tessera::parseDtype(info.Length() > 4 && info[4].IsString() ? info[4].As<Napi::String>().Utf8Value() : "fp32");
      encoder_ = tessera::makeEncoder(config, weights, std::move(projection), tessera::parseDevice(info[3].As<Napi::String>().Utf8Value()), dtype);
    } catch (const Napi::Error& e) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

 private:
  // forward(inputIds: Int32Array, attentionMask: Int32Array, tokenTypeIds: Int32Array, batch, seq) -> Promise<{data, dim}>
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (!encoder_) throw Napi::Error::New(env, "the model was disposed");
    if (info.Length() < 5) throw Napi::TypeError::New(env, "forward(inputIds, attentionMask, tokenTypeIds, batch, seq)");
    const int64_t B = info[3].As<Napi::Number>().Int64Value(), L = info[4].As<Napi::Number>().Int64Value();
    auto copy = [&](const Napi::Value& v, const char* what) {
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
        throw Napi::TypeError::New(env, std::string(what) + " must be an Int32Array");
      auto a = v.As<Napi::Int32Array>();
      if (static_cast<int64_t>(a.ElementLength()) != B * L) throw Napi::RangeError::New(env, std::string(what) + " does not hold batch x seq values");
      return torch::from_blob(a.Data(), {B, L}, torch::kInt).to(torch::kLong);
    };
    auto* worker = new ForwardWorker(env, encoder_, copy(info[0], "inputIds"), copy(info[1], "attentionMask"), copy(info[2], "tokenTypeIds"));
    auto promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    // Workers in flight keep their own reference; the weights go when the last one ends.
    encoder_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<const tessera::Encoder> encoder_;
};

Napi::Value DeviceInfo(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
  o.Set("cuda", Napi::Boolean::New(env, torch::cuda::is_available()));
  o.Set("cudaDevices", Napi::Number::New(env, static_cast<double>(torch::cuda::is_available() ? torch::cuda::device_count() : 0)));
  o.Set("mps", Napi::Boolean::New(env, at::hasMPS()));
  o.Set("threads", Napi::Number::New(env, at::get_num_threads()));
  return o;
}

// dtypeSupport(device, dtype): "" when a matrix product and a layer norm run in that dtype there, else why not.
Napi::Value DtypeSupport(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  try {
    auto device = tessera::parseDevice(info[0].As<Napi::String>().Utf8Value());
    auto dtype = tessera::parseDtype(info[1].As<Napi::String>().Utf8Value());
    c10::InferenceMode guard;
    auto x = torch::ones({2, 8}, torch::TensorOptions().dtype(dtype).device(device));
    auto y = torch::layer_norm(torch::linear(x, x), {2}, torch::ones({2}, x.options()), torch::zeros({2}, x.options()), 1e-5);
    auto s = torch::softmax(y.to(torch::kFloat), -1);
    (void)torch::gelu(y).to(torch::kCPU);
    (void)s.to(torch::kCPU);
    return Napi::String::New(env, "");
  } catch (const std::exception& e) {
    std::string what = e.what();
    return Napi::String::New(env, what.substr(0, what.find('\n')));
  }
}

Napi::Value LiveEncoders(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(tessera::Encoder::live())); }

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n > 0) at::set_num_threads(n);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeEncoder", NativeEncoder::Init(env));
  exports.Set("NativeScorer", tessera::initScorer(env));
  exports.Set("deviceInfo", Napi::Function::New(env, DeviceInfo));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("dtypeSupport", Napi::Function::New(env, DtypeSupport));
  exports.Set("liveEncoders", Napi::Function::New(env, LiveEncoders));
  return exports;
}

}  // namespace

NODE_API_MODULE(tessera_native, Init)
