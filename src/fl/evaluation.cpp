#include "astraea/fl/evaluation.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <numeric>

#include <omp.h>

#include "astraea/core/error.hpp"

namespace astraea {

ClassificationMetrics metrics_from_confusion(std::vector<int64_t> confusion, int classes, double loss_sum) {
  ClassificationMetrics m;
  m.classes = classes;
  m.confusion = std::move(confusion);
  m.precision.assign(classes, 0.0);
  m.recall.assign(classes, 0.0);
  m.f1.assign(classes, 0.0);
  int64_t correct = 0;
  for (int y = 0; y < classes; ++y) {
    int64_t truth = 0, predicted = 0;
    for (int k = 0; k < classes; ++k) {
      truth += m.confusion[y * classes + k];
      predicted += m.confusion[k * classes + y];
    }
    const int64_t tp = m.confusion[y * classes + y];
    correct += tp;
    m.samples += truth;
    m.precision[y] = predicted ? double(tp) / predicted : 0.0;
    m.recall[y] = truth ? double(tp) / truth : 0.0;
    const double pr = m.precision[y] + m.recall[y];
    m.f1[y] = pr > 0 ? 2 * m.precision[y] * m.recall[y] / pr : 0.0;
  }
  m.accuracy = m.samples ? double(correct) / m.samples : 0.0;
  m.loss = m.samples ? loss_sum / m.samples : 0.0;
  m.macro_f1 = std::accumulate(m.f1.begin(), m.f1.end(), 0.0) / classes;
  return m;
}

struct Evaluator::Lane {
  Lane(Backend& be, const Model& model, int batch)
      : ws(be, model, 1, batch), ids(batch), outputs(size_t(3 * batch)) {}
  ModelWorkspace ws;
  std::vector<int32_t> ids, outputs;  // outputs: the workspace's [predicted | labels | loss]
};

Evaluator::Evaluator(Backend& backend, const Model& model, const SamplePool& pool, int64_t count, int batch)
    : backend_(backend), model_(model), pool_(pool), count_(count), batch_(batch) {
  ASTRAEA_CHECK(batch >= 1 && count >= 1, "evaluation of {} samples in batches of {}", count, batch);
  const int64_t chunks = (count + batch - 1) / batch;
  const int lanes = static_cast<int>(std::min<int64_t>(backend.lanes(), chunks));
  for (int i = 0; i < lanes; ++i) lanes_.push_back(std::make_unique<Lane>(backend, model, batch));
}

Evaluator::Evaluator(Backend& backend, const Model& model, const SamplePool& pool, std::vector<int32_t> ids, int batch)
    : Evaluator(backend, model, pool, static_cast<int64_t>(ids.size()), batch) {
  ids_ = std::move(ids);
}

Evaluator::~Evaluator() = default;

ClassificationMetrics Evaluator::evaluate(const float* params) {
  const int classes = model_.classes();
  const int64_t chunks = (count_ + batch_ - 1) / batch_;
  const int lanes = static_cast<int>(lanes_.size());
  std::vector<std::vector<int64_t>> confusion(lanes, std::vector<int64_t>(size_t(classes) * classes, 0));
  std::vector<double> loss(lanes, 0.0);
  std::exception_ptr failure;
#pragma omp parallel num_threads(lanes)
  {
    const int t = omp_get_thread_num();
    try {
      Lane& lane = *lanes_[t];
      for (int64_t c = t; c < chunks; c += lanes) {  // static: each lane sums its chunks in order
        const int64_t begin = c * batch_;
        const int rows = static_cast<int>(std::min<int64_t>(batch_, count_ - begin));
        if (ids_.empty()) {
          std::iota(lane.ids.begin(), lane.ids.begin() + rows, static_cast<int32_t>(begin));
        } else {
          std::copy_n(ids_.begin() + begin, rows, lane.ids.begin());
        }
        ReplicaStep step;
        step.inv_valid = 1.0f / rows;
        backend_.upload(lane.ws.ids(), lane.ids.data(), sizeof(int32_t) * rows);
        backend_.upload(lane.ws.steps(), &step, sizeof(step));
        const TensorShape in = model_.input_shape();
        backend_.launch(GatherImages{pool_, lane.ws.ids(), lane.ws.activation(0)}, rows, int64_t(in.h) * in.w);
        backend_.launch(GatherLabels{pool_, lane.ws.ids(), lane.ws.labels()}, 1, rows);
        LayerPass pass;
        pass.backend = &backend_;
        pass.batch = rows;
        pass.params = params;
        pass.training = false;
        model_forward(model_, lane.ws, pass);
        model_loss(model_, lane.ws, pass);
        // One download: [predicted | labels | loss] of the workspace's rows.
        backend_.download(lane.outputs.data(), lane.ws.outputs(), lane.outputs.size() * sizeof(int32_t));
        const int32_t* predicted = lane.outputs.data();
        const int32_t* labels = predicted + lane.ws.rows();
        const int32_t* losses = labels + lane.ws.rows();
        for (int i = 0; i < rows; ++i) {
          ++confusion[t][size_t(labels[i]) * classes + predicted[i]];
          float l;
          std::memcpy(&l, losses + i, sizeof(float));
          loss[t] += l;
        }
      }
    } catch (...) {
#pragma omp critical
      failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  std::vector<int64_t> total(size_t(classes) * classes, 0);
  double loss_sum = 0;
  for (int t = 0; t < lanes; ++t) {
    for (size_t i = 0; i < total.size(); ++i) total[i] += confusion[t][i];
    loss_sum += loss[t];
  }
  return metrics_from_confusion(std::move(total), classes, loss_sum);
}

}  // namespace astraea
