#include "astraea/fl/client_systems.hpp"

#include <cmath>
#include <random>

#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"

namespace astraea {

ClientSystems::ClientSystems(const SystemsConfig& c, int64_t clients, uint64_t seed) : config_(c), seed_(seed) {
  ASTRAEA_REQUIRE(c.late == "client" || c.late == "mediator", "systems.late = \"{}\": expected client or mediator",
                  c.late);
  active_ = c.speed > 0 || c.bandwidth > 0 || c.latency > 0 || c.availability < 1 || c.diurnal > 0 ||
            c.dropout > 0 || c.deadline > 0;
  HostEngine engine = make_host_engine(seed, RngStream::kSystems);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (c.speed > 0) speed_.resize(size_t(clients));
  if (c.bandwidth > 0) bandwidth_.resize(size_t(clients));
  phase_.resize(size_t(clients));
  for (int64_t k = 0; k < clients; ++k) {  // one draw of each kind per client, in this order
    const double zs = normal(engine), zb = normal(engine);
    phase_[k] = unit(engine);
    if (c.speed > 0) speed_[k] = c.speed * std::exp(c.speed_sigma * zs);
    if (c.bandwidth > 0) bandwidth_[k] = c.bandwidth * std::exp(c.bandwidth_sigma * zb);
  }
}

double ClientSystems::online_probability(int64_t k, int round) const {
  double p = config_.availability;
  if (config_.diurnal > 0) {
    const double day = double(round) / std::max(config_.day_rounds, 1) + phase_[k];
    p *= 1.0 - config_.diurnal * std::cos(2.0 * M_PI * day);
  }
  return std::min(1.0, std::max(0.0, p));
}

bool ClientSystems::online(int64_t k, int round) const {
  if (always_online()) return true;
  const Philox4 r = philox(seed_, RngStream::kAvailability, uint32_t(k), uint32_t(k >> 32), uint32_t(round), 0);
  return double(to_unit_float(r.v[0])) < online_probability(k, round);
}

bool ClientSystems::drops_out(int64_t k, int round) const {
  if (config_.dropout <= 0) return false;
  const Philox4 r = philox(seed_, RngStream::kAvailability, uint32_t(k), uint32_t(k >> 32), uint32_t(round), 1);
  return double(to_unit_float(r.v[0])) < config_.dropout;
}

double ClientSystems::visit_seconds(int64_t k, int64_t samples, double model_mb) const {
  const double transfer = config_.latency + (bandwidth(k) > 0 ? model_mb / bandwidth(k) : 0.0);
  const double compute = speed(k) > 0 ? double(samples) / speed(k) : 0.0;
  return 2.0 * transfer + compute;
}

ChainTiming ClientSystems::chain(const std::vector<int64_t>& visits, const std::vector<int64_t>& samples,
                                 double model_mb, int round) const {
  ChainTiming t;
  const double deadline = config_.deadline > 0 ? config_.deadline : INFINITY;
  for (size_t v = 0; v < visits.size(); ++v) {
    if (drops_out(visits[v], round)) {
      ++t.dropped_visits;
      continue;
    }
    const double end = t.seconds + visit_seconds(visits[v], samples[v], model_mb);
    if (end > deadline) {  // this visit and every later one miss the deadline
      t.dropped_visits += int64_t(visits.size() - v);
      break;
    }
    t.seconds = end;
    t.kept.push_back(v);
  }
  if (config_.late == "mediator" && t.dropped_visits > 0) {
    t.dropped_visits = int64_t(visits.size());
    t.kept.clear();
    t.seconds = config_.deadline > 0 ? std::min(deadline, t.seconds) : t.seconds;
  }
  return t;
}

}  // namespace astraea
