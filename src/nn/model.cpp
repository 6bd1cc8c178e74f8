#include "astraea/nn/model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"
#include "astraea/nn/losses.hpp"

namespace astraea {

Model::Model(std::string name, TensorShape input, int classes, std::vector<std::unique_ptr<Layer>> layers)
    : name_(std::move(name)), input_(input), classes_(classes), layers_(std::move(layers)) {
  ASTRAEA_CHECK(!layers_.empty(), "model {} has no layers", name_);
  ASTRAEA_CHECK(layers_.back()->output_shape().size() == classes, "model {} ends in {} features, not {} classes", name_,
                layers_.back()->output_shape().size(), classes);
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->place(static_cast<int>(i), num_params_);
    num_params_ += layers_[i]->param_count();
  }
}

std::vector<ParamTensor> Model::tensors() const {
  std::vector<ParamTensor> all;
  for (const auto& l : layers_) all.insert(all.end(), l->params().begin(), l->params().end());
  return all;
}

int64_t Model::max_activation() const {
  int64_t m = input_.size();
  for (const auto& l : layers_) m = std::max(m, l->output_shape().size());
  return m;
}

void Model::use_library_conv(bool on) {
  for (auto& layer : layers_) layer->use_library_conv(on);
}

int64_t Model::max_scratch(int batch) const {
  int64_t m = 0;
  for (const auto& l : layers_) m = std::max(m, l->scratch_floats(batch));
  return m;
}

void Model::init_params(float* params, uint64_t seed) const {
  for (const ParamTensor& t : tensors()) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(t.fan_in));
    for (int64_t i = 0; i < t.size; ++i) {
      const int64_t at = t.offset + i;
      const Philox4 r = philox(seed, RngStream::kInit, static_cast<uint32_t>(at), static_cast<uint32_t>(at >> 32), 0, 0);
      params[at] = (2.0f * to_unit_float(r.v[0]) - 1.0f) * bound;
    }
  }
}

double Model::forward_flops_per_sample() const {
  double f = 0;
  for (const auto& l : layers_) f += l->forward_flops();
  return f;
}

double Model::train_flops_per_sample() const {
  double f = 0;
  bool first = true;
  for (const auto& l : layers_) {
    if (l->param_count() == 0) continue;
    f += (first ? 2.0 : 3.0) * l->forward_flops();  // forward + weight gradient (+ input gradient)
    first = false;
  }
  return f;
}

std::string Model::describe() const {
  std::string s = fmt::format("{}: input {}x{}x{}, {} classes, {} parameters\n", name_, input_.h, input_.w, input_.c,
                              classes_, num_params_);
  for (size_t i = 0; i < layers_.size(); ++i) {
    const TensorShape o = layers_[i]->output_shape();
    s += fmt::format("  {:>2} {:<9} -> {}x{}x{}  {} params\n", i, layers_[i]->kind(), o.h, o.w, o.c,
                     layers_[i]->param_count());
  }
  return s;
}

ModelWorkspace::ModelWorkspace(Backend& be, const Model& model, int replicas, int batch)
    : replicas_(replicas), batch_(batch) {
  const int64_t rows = int64_t(replicas) * batch;
  acts_.emplace_back(be, rows * model.input_shape().size());
  for (const auto& l : model.layers()) acts_.emplace_back(be, rows * l->output_shape().size());
  for (auto& g : grads_) g = DeviceArray<float>(be, rows * model.max_activation());
  scratch_ = DeviceArray<float>(be, int64_t(replicas) * model.max_scratch(batch));
  for (const auto& l : model.layers()) saved_.emplace_back(be, int64_t(replicas) * l->saved_floats(batch));
  ids_ = DeviceArray<int32_t>(be, rows);
  static_assert(sizeof(float) == sizeof(int32_t), "losses share the outputs' slots");
  outputs_ = DeviceArray<int32_t>(be, 3 * rows);
  steps_ = DeviceArray<ReplicaStep>(be, replicas);
  keys_ = DeviceArray<uint32_t>(be, replicas);
}

size_t ModelWorkspace::bytes() const {
  size_t b = grads_[0].bytes() + grads_[1].bytes() + scratch_.bytes() + ids_.bytes() + outputs_.bytes() +
             steps_.bytes() + keys_.bytes();
  for (const auto& a : acts_) b += a.bytes();
  for (const auto& a : saved_) b += a.bytes();
  return b;
}

size_t ModelWorkspace::bytes_for(const Model& model, int replicas, int batch) {
  const int64_t rows = int64_t(replicas) * batch;
  int64_t floats = rows * model.input_shape().size();
  for (const auto& l : model.layers()) floats += rows * l->output_shape().size() + int64_t(replicas) * l->saved_floats(batch);
  floats += 2 * rows * model.max_activation() + int64_t(replicas) * model.max_scratch(batch) + rows;
  return size_t(floats) * 4 + size_t(rows) * 3 * sizeof(int32_t) + size_t(replicas) * (sizeof(ReplicaStep) + 4);
}

namespace {

LayerPass with_scratch(LayerPass p, ModelWorkspace& ws) {
  p.scratch = ws.scratch();
  p.replica_key = ws.replica_keys();
  return p;
}

void run_loss(const Model& model, ModelWorkspace& ws, const LayerPass& p, float* dlogits, const TrainingLoss* loss) {
  const int64_t rows = int64_t(p.replicas) * p.batch;
  SoftmaxLoss f{ws.logits(), ws.labels(), ws.steps(), ws.loss(), dlogits, ws.predicted(), p.batch, model.classes()};
  if (loss) f = loss->configure(f);
  p.backend->launch(f, 1, rows);
}

}  // namespace

void model_forward(const Model& model, ModelWorkspace& ws, const LayerPass& pass) {
  LayerPass p = with_scratch(pass, ws);
  for (size_t i = 0; i < model.layers().size(); ++i) {
    p.saved = ws.saved(i);
    model.layers()[i]->forward(p, ws.activation(i), ws.activation(i + 1));
  }
}

void model_loss(const Model& model, ModelWorkspace& ws, const LayerPass& pass) {
  run_loss(model, ws, pass, nullptr, nullptr);
}

void model_loss_and_backward(const Model& model, ModelWorkspace& ws, const LayerPass& pass, const GradTarget& grad,
                             const TrainingLoss* loss) {
  LayerPass p = with_scratch(pass, ws);
  int cur = 0;
  run_loss(model, ws, p, ws.grad(cur), loss);
  for (size_t i = model.layers().size(); i-- > 0;) {
    const Layer& layer = *model.layers()[i];
    // The first layer needs no input gradient; nor does anything before the first parameters.
    bool need_dx = false;
    for (size_t j = 0; j < i; ++j) need_dx = need_dx || model.layers()[j]->param_count() > 0;
    float* dx = need_dx ? ws.grad(1 - cur) : nullptr;
    p.saved = ws.saved(i);
    layer.backward(p, ws.activation(i), ws.activation(i + 1), ws.grad(cur), dx, grad);
    if (!need_dx) break;
    cur = 1 - cur;
  }
}

}  // namespace astraea
