#include "astraea/fl/replica_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <numeric>
#include <optional>

#include <omp.h>

#include "astraea/core/error.hpp"
#include "astraea/core/trace.hpp"

namespace astraea {

// The buffers of one lane: a workspace for `tile` replicas and their weights, gradients and
// optimizer state.
struct ReplicaTrainer::Lane {
  Lane(Backend& be, const Model& model, int tile, int64_t stride, int batch, bool moments, bool second_moment,
       bool own_acc, int algorithm_buffers)
      : ws(be, model, tile, batch),
        weights(be, size_t(tile) * stride),
        grads(be, size_t(tile) * stride),
        m(be, moments ? size_t(tile) * stride : 0),
        v(be, second_moment ? size_t(tile) * stride : 0),
        acc(be, own_acc ? size_t(model.num_params()) : 0),
        algorithm(be, size_t(algorithm_buffers) * tile * stride),
        loss_total(be, tile),
        coef(be, tile),
        keys(tile),
        ids_stage(be.make_upload_stage(sizeof(int32_t) * size_t(tile) * batch)),
        steps_stage(be.make_upload_stage(sizeof(ReplicaStep) * size_t(tile))) {}
  ModelWorkspace ws;
  DeviceArray<float> weights, grads, m, v, acc, algorithm, loss_total, coef;
  std::vector<uint32_t> keys;
  // Per-step uploads of a wave (sample ids, step records), staged (pinned and double-buffered on a GPU).
  std::unique_ptr<UploadStage> ids_stage, steps_stage;
};

namespace {

ReplicaStep make_step(const StepPlan& plan, int64_t s, const OptimizerParams& opt, const ClientAlgorithm* client) {
  ReplicaStep st;
  st.flags = ReplicaStep::kActive | (plan.fresh[s] ? ReplicaStep::kFreshState : 0u) |
             (plan.visit_edge[s] & 1 ? ReplicaStep::kVisitFirst : 0u) |
             (plan.visit_edge[s] & 2 ? ReplicaStep::kVisitLast : 0u);
  st.client = plan.step_client[s];
  st.visit_steps = plan.visit_steps[s];
  const float t = static_cast<float>(plan.state_age[s]);
  st.bias_correction1 = 1.0f / (1.0f - std::pow(opt.beta1, t));
  st.bias_correction2 = 1.0f / (1.0f - std::pow(opt.beta2, t));
  st.inv_valid = 1.0f / static_cast<float>(plan.rows(s));
  if (client) client->decorate(st, plan, s);
  return st;
}

// Gathers the step's samples (ids already uploaded) into the input activations and labels.
void gather(Backend& be, const Model& model, ModelWorkspace& ws, const SamplePool& pool, int64_t rows) {
  const TensorShape in = model.input_shape();
  be.launch(GatherImages{pool, ws.ids(), ws.activation(0)}, rows, int64_t(in.h) * in.w);
  be.launch(GatherLabels{pool, ws.ids(), ws.labels()}, 1, rows);
}

}  // namespace

ReplicaTrainer::ReplicaTrainer(Backend& backend, const Model& model, const TrainerOptions& options)
    : backend_(backend), model_(model), options_(options) {
  ASTRAEA_CHECK(options.batch >= 1, "batch {}", options.batch);
  const bool moments = options.optimizer.kind != OptimizerKind::kSgd;
  const bool second = options.optimizer.kind == OptimizerKind::kAdam;
  tile_ = options.tile > 0 ? options.tile : 1;
  if (options.tile == 0 && backend.is_device()) {
    // Waves of replicas: memory is bounded by the tile, never by the round's client count.
    const int algorithm_buffers = options.client ? options.client->replica_buffers() : 0;
    const size_t per_replica = ModelWorkspace::bytes_for(model, 1, options.batch) +
                               size_t(model.num_params() + options.row_align) * 4 * (2 + moments + second + algorithm_buffers) +
                               64;
    const size_t budget = backend.memory_available() / 10 * 7;
    const size_t fit = budget / per_replica;
    ASTRAEA_REQUIRE(fit >= 1, "one replica of {} needs {} MB but {} MB of device memory are free: lower train.batch",
                    model.name(), per_replica >> 20, budget >> 20);
    tile_ = static_cast<int>(std::min<size_t>(fit, std::max(1, options.max_replicas)));
  }
  // Padding between rows is never read or written: every row op runs over num_params() columns.
  const int64_t P = model.num_params(), align = std::max(1, options.row_align);
  stride_ = tile_ == 1 ? P : (P + align - 1) / align * align;
  const int lanes = tile_ == 1 ? backend.lanes() : 1;
  const int algorithm_buffers = options.client ? options.client->replica_buffers() : 0;
  for (int i = 0; i < lanes; ++i) {
    lanes_.push_back(std::make_unique<Lane>(backend, model, tile_, stride_, options.batch, moments, second, tile_ == 1,
                                            algorithm_buffers));
  }
}

ReplicaTrainer::~ReplicaTrainer() = default;

size_t ReplicaTrainer::workspace_bytes() const {
  size_t b = 0;
  for (const auto& l : lanes_) {
    b += l->ws.bytes() + l->weights.bytes() + l->grads.bytes() + l->m.bytes() + l->v.bytes() + l->acc.bytes() +
         l->algorithm.bytes();
  }
  return b;
}

std::vector<size_t> longest_first(const std::vector<StepPlan>& plans) {
  std::vector<size_t> order(plans.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return plans[a].steps() > plans[b].steps(); });
  return order;
}

std::vector<std::vector<size_t>> deal_longest_first(const std::vector<StepPlan>& plans, int parts) {
  ASTRAEA_CHECK(parts >= 1, "{} parts", parts);
  std::vector<size_t> order(plans.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return plans[a].sample_ids.size() > plans[b].sample_ids.size(); });
  std::vector<std::vector<size_t>> assigned(parts);
  std::vector<int64_t> load(parts, 0);
  for (size_t i : order) {
    const int part = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    assigned[part].push_back(i);
    load[part] += static_cast<int64_t>(plans[i].sample_ids.size()) + 64;  // + per-step overhead
  }
  return assigned;
}

TrainStats ReplicaTrainer::train(const std::vector<StepPlan>& plans, const std::vector<float>& coef,
                                 const SamplePool& pool, const float* global, float* acc, uint32_t round) {
  ASTRAEA_CHECK(plans.size() == coef.size(), "{} plans, {} weights", plans.size(), coef.size());
  for (const StepPlan& p : plans) {
    for (int64_t s = 0; s < p.steps(); ++s) ASTRAEA_CHECK(p.rows(s) <= options_.batch, "step of {} rows", p.rows(s));
  }
  const TrainStats stats = tile_ == 1 ? train_lanes(plans, coef, pool, global, acc, round)
                                      : train_tiles(plans, coef, pool, global, acc, round);
  if (options_.client) {
    for (const auto& lane : lanes_) options_.client->finish_lane(backend_, lane->algorithm.data(), tile_, stride_);
  }
  return stats;
}

std::string ReplicaTrainer::why_no_graphs() const {
  if (!backend_.supports_graphs()) return backend_.name() + " records no graphs";
  if (tile_ == 1) return "replicas train one at a time, not in waves";
  // Dropout draws a new mask every step from arguments of its launch: a replay would repeat one.
  for (const auto& layer : model_.layers())
    if (layer->kind() == "dropout") return model_.name() + " has dropout, whose masks change every step";
  return "";
}

bool ReplicaTrainer::use_graphs() const { return options_.graphs && why_no_graphs().empty(); }

bool ReplicaTrainer::fused_sgd() const {
  return options_.optimizer.kind == OptimizerKind::kSgd && !(options_.client && options_.client->changes_gradient());
}

void ReplicaTrainer::adjust_gradient(Lane& lane, int replicas, const float* global) const {
  if (!options_.client || !options_.client->changes_gradient()) return;
  ClientStepContext c;
  c.backend = &backend_;
  c.replicas = replicas;
  c.params = model_.num_params();
  c.stride = stride_;
  c.global = global;
  c.weights = lane.weights.data();
  c.grads = lane.grads.data();
  c.steps = lane.ws.steps();
  c.buffers = lane.algorithm.data();
  c.tile = tile_;
  c.lr = options_.optimizer.lr;
  options_.client->adjust_gradient(c);
}

// ---- lanes: one replica at a time per thread

TrainStats ReplicaTrainer::train_lanes(const std::vector<StepPlan>& plans, const std::vector<float>& coef,
                                       const SamplePool& pool, const float* global, float* acc, uint32_t round) {
  const int64_t P = model_.num_params();
  const int lanes = static_cast<int>(std::min<size_t>(lanes_.size(), std::max<size_t>(plans.size(), 1)));
  // Balanced, and deterministic for a lane count, so the aggregate is summed in the same order on
  // every run.
  const std::vector<std::vector<size_t>> assigned = deal_longest_first(plans, lanes);

  const bool direct_sgd = fused_sgd();
  const float lr = options_.optimizer.lr;
  std::vector<TrainStats> stats(lanes);
  std::exception_ptr failure;
#pragma omp parallel num_threads(lanes)
  {
    const int t = omp_get_thread_num();
    try {
      Lane& lane = *lanes_[t];
      ModelWorkspace& ws = lane.ws;
      backend_.zero(lane.acc.data(), lane.acc.bytes());
      backend_.zero(lane.algorithm.data(), lane.algorithm.bytes());
      backend_.zero(lane.loss_total.data(), lane.loss_total.bytes());
      for (size_t i : assigned[t]) {
        const StepPlan& plan = plans[i];
        std::optional<PhaseScope> slice;
        if (Tracer::instance().enabled()) {
          slice.emplace(fmt::format("replica {} ({} steps)", plan.key, plan.steps()), nullptr, t + 1, "replica");
        }
        lane.keys[0] = plan.key;
        backend_.upload(ws.replica_keys(), lane.keys.data(), sizeof(uint32_t));
        backend_.upload(lane.coef.data(), &coef[i], sizeof(float));
        const int64_t last = plan.steps() - 1;
        for (int64_t s = 0; s <= last; ++s) {
          const int rows = static_cast<int>(plan.rows(s));
          const bool first = s == 0;
          ReplicaStep step = make_step(plan, s, options_.optimizer, options_.client);
          step.coef = coef[i];
          if (first) step.flags |= ReplicaStep::kFromGlobal;
          if (s == last) step.flags |= ReplicaStep::kAccumulate;
          backend_.upload(ws.ids(), plan.step_samples(s), sizeof(int32_t) * rows);
          backend_.upload(ws.steps(), &step, sizeof(ReplicaStep));
          gather(backend_, model_, ws, pool, rows);

          LayerPass pass;
          pass.backend = &backend_;
          pass.replicas = 1;
          pass.batch = rows;
          pass.params = first ? global : lane.weights.data();
          pass.training = true;
          pass.seed = options_.seed;
          pass.step = static_cast<uint32_t>(s);
          pass.round = round;
          GradTarget target{lane.grads.data(), 0, 1.0f, 0.0f};
          if (direct_sgd) {
            // The gradient GEMMs update in place (beta = 1): into the weights, or on the last step
            // into the aggregate with the replica's weight folded into alpha.
            if (s == last) {
              if (!first) {
                backend_.launch(WeightedDeltaSum{lane.acc.data(), lane.weights.data(), global, lane.coef.data(), 1, P}, 1,
                                P);
              }
              target = GradTarget{lane.acc.data(), 0, -lr * coef[i], 1.0f};
            } else {
              if (first) backend_.copy(lane.weights.data(), global, sizeof(float) * P);
              pass.params = lane.weights.data();
              target = GradTarget{lane.weights.data(), 0, -lr, 1.0f};
            }
          }
          model_forward(model_, ws, pass);
          model_loss_and_backward(model_, ws, pass, target, options_.loss);
          backend_.launch(LossSum{ws.loss(), lane.loss_total.data(), rows}, 1, 1);
          if (!direct_sgd) {
            adjust_gradient(lane, 1, global);
            backend_.launch(OptimizerUpdate{options_.optimizer, lane.weights.data(), lane.grads.data(), lane.m.data(),
                                            lane.v.data(), global, lane.acc.data(), ws.steps(), P},
                            1, P);
          }
          stats[t].rows += rows;
          stats[t].steps += 1;
        }
        // The lane's running loss turns non-finite with the first replica that diverges.
        float running = 0;
        backend_.download(&running, lane.loss_total.data(), sizeof(float));
        if (!std::isfinite(running) && stats[t].first_nonfinite < 0) stats[t].first_nonfinite = int64_t(i);
      }
      float loss = 0;
      backend_.download(&loss, lane.loss_total.data(), sizeof(float));
      stats[t].loss_sum = loss;
    } catch (...) {
#pragma omp critical
      failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  TrainStats total;
  for (int t = 0; t < lanes; ++t) {
    backend_.launch(Axpy{acc, lanes_[t]->acc.data(), 1.0f}, 1, P);
    total.loss_sum += stats[t].loss_sum;
    total.rows += stats[t].rows;
    total.steps += stats[t].steps;
    if (stats[t].first_nonfinite >= 0 &&
        (total.first_nonfinite < 0 || stats[t].first_nonfinite < total.first_nonfinite)) {
      total.first_nonfinite = stats[t].first_nonfinite;
    }
  }
  return total;
}

// ---- tiles: waves of replicas stepping together

TrainStats ReplicaTrainer::train_tiles(const std::vector<StepPlan>& plans, const std::vector<float>& coef,
                                       const SamplePool& pool, const float* global, float* acc, uint32_t round) {
  const int64_t P = model_.num_params(), S = stride_;
  const int B = options_.batch;
  const bool direct_sgd = fused_sgd();
  Lane& lane = *lanes_[0];
  ModelWorkspace& ws = lane.ws;
  backend_.zero(lane.algorithm.data(), lane.algorithm.bytes());
  // A wave lasts as long as its longest plan: waves of plans sorted by length (longest first,
  // stable) waste the fewest masked steps when plans differ (Astraea's mediators).
  const std::vector<size_t> order = longest_first(plans);
  std::vector<float> wave_coef(tile_);
  const bool graphs = use_graphs();
  struct Recorded {
    int id = -1;
  };
  std::map<int, Recorded> graph_of;  // wave size -> its recorded step
  struct DropGraphs {  // this round's graphs go with it: the sample pool may move before the next
    Backend& backend;
    bool on;
    ~DropGraphs() {
      if (on) backend.drop_graphs();
    }
  } drop{backend_, graphs};
  TrainStats total;
  for (size_t begin = 0; begin < plans.size(); begin += tile_) {
    const int R = static_cast<int>(std::min<size_t>(tile_, plans.size() - begin));
    auto plan_of = [&](int r) -> const StepPlan& { return plans[order[begin + r]]; };
    int64_t wave_steps = 0;
    for (int r = 0; r < R; ++r) {
      lane.keys[r] = plan_of(r).key;
      wave_coef[r] = coef[order[begin + r]];
      wave_steps = std::max(wave_steps, plan_of(r).steps());
    }
    backend_.upload(ws.replica_keys(), lane.keys.data(), sizeof(uint32_t) * R);
    backend_.upload(lane.coef.data(), wave_coef.data(), sizeof(float) * R);
    backend_.zero(lane.loss_total.data(), sizeof(float) * R);
    backend_.launch(BroadcastRows{lane.weights.data(), global, P, S}, R, P);
    for (int64_t s = 0; s < wave_steps; ++s) {
      int32_t* ids = static_cast<int32_t*>(lane.ids_stage->next());
      ReplicaStep* steps = static_cast<ReplicaStep*>(lane.steps_stage->next());
      std::fill(ids, ids + int64_t(R) * B, -1);
      for (int r = 0; r < R; ++r) {
        const StepPlan& plan = plan_of(r);
        if (s >= plan.steps()) {
          steps[r] = ReplicaStep{};  // finished: inactive, zero gradient
          continue;
        }
        std::copy(plan.step_samples(s), plan.step_samples(s) + plan.rows(s), ids + int64_t(r) * B);
        steps[r] = make_step(plan, s, options_.optimizer, options_.client);
        total.rows += plan.rows(s);
        total.steps += 1;
      }
      lane.ids_stage->upload(ws.ids(), sizeof(int32_t) * R * B);
      lane.steps_stage->upload(ws.steps(), sizeof(ReplicaStep) * R);
      // With graphs, a wave size's step is recorded once per round and replayed: everything it
      // launches reads what changes between steps (ids, step records) from device memory.
      int* graph = nullptr;
      if (graphs) {
        graph = &graph_of[R].id;
        if (*graph >= 0) {
          backend_.replay(*graph);
          continue;
        }
        backend_.begin_capture();
      }
      gather(backend_, model_, ws, pool, int64_t(R) * B);

      LayerPass pass;
      pass.backend = &backend_;
      pass.replicas = R;
      pass.batch = B;
      pass.params = lane.weights.data();
      pass.param_stride = S;
      pass.training = true;
      pass.seed = options_.seed;
      pass.step = graphs ? 0u : static_cast<uint32_t>(s);  // read by dropout alone, and graphs exclude it
      pass.round = round;
      // Masked rows carry zero gradient, so a direct SGD step leaves inactive replicas as they are.
      const GradTarget target = direct_sgd ? GradTarget{lane.weights.data(), S, -options_.optimizer.lr, 1.0f}
                                           : GradTarget{lane.grads.data(), S, 1.0f, 0.0f};
      model_forward(model_, ws, pass);
      model_loss_and_backward(model_, ws, pass, target, options_.loss);
      backend_.launch(LossSum{ws.loss(), lane.loss_total.data(), B}, R, 1);
      if (!direct_sgd) {
        adjust_gradient(lane, R, global);
        backend_.launch(OptimizerUpdate{options_.optimizer, lane.weights.data(), lane.grads.data(), lane.m.data(),
                                        lane.v.data(), global, nullptr, ws.steps(), P, S},
                        R, P);
      }
      if (graph) {
        *graph = backend_.end_capture();
        backend_.replay(*graph);
      }
    }
    backend_.launch(WeightedDeltaSum{acc, lane.weights.data(), global, lane.coef.data(), R, P, S}, 1, P);
    std::vector<float> losses(R);
    backend_.download(losses.data(), lane.loss_total.data(), sizeof(float) * R);
    for (int r = 0; r < R; ++r) {
      total.loss_sum += losses[r];
      if (!std::isfinite(losses[r]) && total.first_nonfinite < 0) total.first_nonfinite = int64_t(order[begin + r]);
    }
  }
  return total;
}

}  // namespace astraea
