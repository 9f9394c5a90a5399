// MaxSim through libtorch for t.scorer(): core cuts the documents into chunks of similar length
// padded by repeating each document's last row (so no mask is needed); each chunk is kept as an
// [n, L, dim] tensor on the model's device, and a query is matmul + amax over L + sum over the
// query rows per chunk, on the libuv thread pool.
#include "scorer.h"

#include <torch/torch.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "device.h"

namespace tessera {
namespace {

struct Chunks {
  std::vector<torch::Tensor> docs;
  int64_t dim = 0;
  int64_t count = 0;
  torch::Device device = torch::kCPU;
};

class ScoreWorker : public Napi::AsyncWorker {
 public:
  ScoreWorker(Napi::Env env, std::shared_ptr<const Chunks> chunks, torch::Tensor query)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), chunks_(std::move(chunks)), query_(std::move(query)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      c10::InferenceMode guard;
      // query_: [Q, qr, dim] (shorter queries padded with zero rows, which add nothing).
      const int64_t Q = query_.size(0), qr = query_.size(1);
      auto qT = query_.to(chunks_->device).reshape({Q * qr, chunks_->dim}).t().contiguous();
      std::vector<torch::Tensor> parts;
      parts.reserve(chunks_->docs.size());
      for (const auto& d : chunks_->docs) parts.push_back(torch::matmul(d, qT).view({d.size(0), d.size(1), Q, qr}).amax(1).sum(2));
      out_ = parts.empty() ? torch::zeros({0, Q}) : torch::cat(parts).to(torch::kCPU).contiguous();
    } catch (const std::exception& e) {
      SetError(std::string("libtorch scoring failed: ") + e.what());
    }
  }

  void OnOK() override {
    auto arr = Napi::Float32Array::New(Env(), static_cast<size_t>(out_.numel()));
    if (out_.numel()) std::memcpy(arr.Data(), out_.data_ptr<float>(), sizeof(float) * out_.numel());
    deferred_.Resolve(arr);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<const Chunks> chunks_;
  torch::Tensor query_, out_;
};

class NativeScorer : public Napi::ObjectWrap<NativeScorer> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeScorer", {InstanceMethod("score", &NativeScorer::Score), InstanceMethod("dispose", &NativeScorer::Dispose)});
  }

  // new NativeScorer([{ data: Float32Array, n, length }], dim, device)
  NativeScorer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeScorer>(info) {
    auto env = info.Env();
    if (info.Length() < 3 || !info[0].IsArray() || !info[1].IsNumber() || !info[2].IsString())
      throw Napi::TypeError::New(env, "NativeScorer(chunks, dim, device)");
    try {
      auto chunks = std::make_shared<Chunks>();
      chunks->dim = info[1].As<Napi::Number>().Int64Value();
      chunks->device = parseDevice(info[2].As<Napi::String>().Utf8Value());
      auto list = info[0].As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); i++) {
        auto c = list.Get(i).As<Napi::Object>();
        auto data = c.Get("data");
        if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
          throw std::invalid_argument("chunk data must be a Float32Array");
        auto arr = data.As<Napi::Float32Array>();
        const int64_t n = c.Get("n").As<Napi::Number>().Int64Value(), L = c.Get("length").As<Napi::Number>().Int64Value();
        if (n * L * chunks->dim != static_cast<int64_t>(arr.ElementLength()))
          throw std::invalid_argument("chunk " + std::to_string(i) + " does not hold n x length x dim floats");
        // Copied (to the device): the JS buffer may be collected once the constructor returns.
        chunks->docs.push_back(torch::from_blob(arr.Data(), {n, L, chunks->dim}, torch::kFloat).to(chunks->device, false, true));
        chunks->count += n;
      }
      chunks_ = chunks;
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

 private:
  // score(queries: Float32Array, count, rows) -> Promise<Float32Array>: [documents, count] scores,
  // documents chunk by chunk; the queries are count x rows x dim floats.
  Napi::Value Score(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (!chunks_) throw Napi::Error::New(env, "the scorer was disposed");
    if (info.Length() < 3 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, "score(queries: Float32Array, count, rows)");
    auto q = info[0].As<Napi::Float32Array>();
    const int64_t count = info[1].As<Napi::Number>().Int64Value(), rows = info[2].As<Napi::Number>().Int64Value();
    if (count < 1 || rows < 1 || count * rows * chunks_->dim != static_cast<int64_t>(q.ElementLength()))
      throw Napi::RangeError::New(env, "the queries do not hold count x rows x dim floats");
    auto* worker = new ScoreWorker(env, chunks_, torch::from_blob(q.Data(), {count, rows, chunks_->dim}, torch::kFloat).clone());
    auto promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    // A score in flight keeps its own reference; the tensors go when the last one ends.
    chunks_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<const Chunks> chunks_;
};

}  // namespace

Napi::Function initScorer(Napi::Env env) { return NativeScorer::Init(env); }

}  // namespace tessera
