// A sequential model over replica tiles, and the workspace one tile needs. Layers are indexed as
// in the equivalent PyTorch nn.Sequential, so parameter names ("3.weight") match its state_dict.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "astraea/nn/layer.hpp"

namespace astraea {

class TrainingLoss;

class Model {
 public:
  Model(std::string name, TensorShape input, int classes, std::vector<std::unique_ptr<Layer>> layers);

  const std::string& name() const { return name_; }
  TensorShape input_shape() const { return input_; }
  int classes() const { return classes_; }
  int64_t num_params() const { return num_params_; }
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  std::vector<ParamTensor> tensors() const;
  int64_t max_activation() const;             // floats per sample, largest layer output or input
  int64_t max_scratch(int batch) const;       // floats per replica

  // PyTorch's default initialisation (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases),
  // drawn from Philox keyed on (seed, element): the same weights on every machine.
  void init_params(float* params, uint64_t seed) const;
  // Every convolution through the backend's library (train.conv = "cudnn"), before any workspace.
  void use_library_conv(bool on);

  double forward_flops_per_sample() const;
  // Forward, input gradients (all but the first parameterised layer) and weight gradients.
  double train_flops_per_sample() const;
  std::string describe() const;  // one line per layer

 private:
  std::string name_;
  TensorShape input_;
  int classes_;
  std::vector<std::unique_ptr<Layer>> layers_;
  int64_t num_params_ = 0;
};

// Names: logreg, mlp (McMahan's 2NN, 200-200), emnist_cnn (the Astraea papers' EMNIST model),
// cifar_cnn (the papers' CINIC-10 model, Keras cifar10_cnn), pfl_cnn (pfl-research's CIFAR-10 CNN).
std::unique_ptr<Model> make_model(const std::string& name, TensorShape input, int classes);
std::vector<std::string> model_names();

// Buffers for `replicas` x `batch` samples of one model, on one backend.
class ModelWorkspace {
 public:
  ModelWorkspace(Backend& backend, const Model& model, int replicas, int batch);
  int replicas() const { return replicas_; }
  int batch() const { return batch_; }

  float* activation(size_t i) { return acts_[i].data(); }  // 0: input, i: output of layer i - 1
  float* logits() { return acts_.back().data(); }
  float* grad(int which) { return grads_[which].data(); }  // two ping-pong gradient buffers
  float* scratch() { return scratch_.data(); }
  float* saved(size_t layer) { return saved_[layer].data(); }
  int32_t* ids() { return ids_.data(); }              // [replicas x batch]
  // The per-row outputs live in one buffer, [predicted | labels | loss], so an evaluation reads
  // them back with one download (outputs()).
  int32_t* predicted() { return outputs_.data(); }                                      // [replicas x batch]
  int32_t* labels() { return outputs_.data() + rows(); }                               // [replicas x batch]
  float* loss() { return reinterpret_cast<float*>(outputs_.data() + 2 * rows()); }     // [replicas x batch]
  const int32_t* outputs() const { return outputs_.data(); }
  int64_t rows() const { return int64_t(replicas_) * batch_; }
  ReplicaStep* steps() { return steps_.data(); }      // [replicas]
  uint32_t* replica_keys() { return keys_.data(); }   // [replicas]
  size_t bytes() const;
  // What a workspace of this shape would allocate, without allocating it.
  static size_t bytes_for(const Model& model, int replicas, int batch);

 private:
  int replicas_, batch_;
  std::vector<DeviceArray<float>> acts_;
  DeviceArray<float> grads_[2];
  DeviceArray<float> scratch_;
  std::vector<DeviceArray<float>> saved_;  // per layer
  DeviceArray<int32_t> ids_, outputs_;
  DeviceArray<ReplicaStep> steps_;
  DeviceArray<uint32_t> keys_;
};

// Forward through every layer: input in ws.activation(0), logits in ws.logits().
void model_forward(const Model& model, ModelWorkspace& ws, const LayerPass& pass);
// Loss (`loss`, or cross-entropy when null), then backward through every layer into `grad`. Labels
// and steps (inv_valid, client) must be set; writes per-row losses and predictions.
void model_loss_and_backward(const Model& model, ModelWorkspace& ws, const LayerPass& pass, const GradTarget& grad,
                             const TrainingLoss* loss = nullptr);
// Loss and predictions only (evaluation).
void model_loss(const Model& model, ModelWorkspace& ws, const LayerPass& pass);

}  // namespace astraea
