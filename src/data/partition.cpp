// The partitioners of partition.hpp: global subsampling, then the split by method.
#include "astraea/data/partition.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "astraea/core/error.hpp"
#include "astraea/core/registry.hpp"
#include "astraea/core/rng.hpp"
#include "astraea/core/spec_string.hpp"
#include "astraea/data/class_profile.hpp"
#include "astraea/kernels/kl_score.hpp"

namespace astraea {
namespace {

using Pool = std::vector<std::vector<int32_t>>;  // sample ids per class, shuffled

// Splits `total` into integer parts proportional to `weights` (largest remainder rounding).
std::vector<int64_t> apportion(int64_t total, const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<int64_t> parts(weights.size(), 0);
  if (sum <= 0 || total <= 0) return parts;
  std::vector<std::pair<double, size_t>> rest;
  int64_t used = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double exact = total * weights[i] / sum;
    parts[i] = static_cast<int64_t>(std::floor(exact));
    used += parts[i];
    rest.emplace_back(exact - parts[i], i);
  }
  std::stable_sort(rest.begin(), rest.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (int64_t i = 0; i < total - used; ++i) ++parts[rest[i % rest.size()].second];
  return parts;
}

std::vector<double> dirichlet(HostEngine& engine, double beta, size_t n) {
  std::gamma_distribution<double> gamma(beta, 1.0);
  std::vector<double> p(n);
  double sum = 0;
  for (auto& v : p) sum += (v = gamma(engine));
  if (sum <= 0) {  // every draw underflowed (tiny beta): all mass on one component
    std::fill(p.begin(), p.end(), 0.0);
    p[std::uniform_int_distribution<size_t>(0, n - 1)(engine)] = 1.0;
    return p;
  }
  for (auto& v : p) v /= sum;
  return p;
}

// Client sizes summing to `total` from "even" or "lognormal:sigma", each >= min_size.
std::vector<int64_t> client_sizes(const PartitionSpec& spec, int64_t total, HostEngine& engine) {
  const NamedSpec s = parse_named_spec(spec.sizes, "partition.sizes");
  std::vector<double> w(spec.clients, 1.0);
  if (s.name == "lognormal") {
    const double sigma = require_param(s, "partition.sizes", 0.0, true);
    std::normal_distribution<double> normal(0.0, sigma);
    for (auto& v : w) v = std::exp(normal(engine));
  } else if (s.name != "even") {
    ASTRAEA_FAIL("partition.sizes = \"{}\": unknown size model (expected even or lognormal:sigma)", spec.sizes);
  }
  // Give every client its minimum first, then apportion the rest by weight.
  const int64_t spare = total - spec.min_client_size * spec.clients;
  std::vector<int64_t> sizes = apportion(spare, w);
  for (auto& n : sizes) n += spec.min_client_size;
  return sizes;
}

// Takes the next `count` ids of class y from the pool cursor.
struct Cursor {
  const Pool& pool;
  std::vector<size_t> next;
  explicit Cursor(const Pool& p) : pool(p), next(p.size(), 0) {}
  int64_t left(int y) const { return static_cast<int64_t>(pool[y].size() - next[y]); }
  int32_t take(int y) { return pool[y][next[y]++]; }
};

std::vector<std::vector<int32_t>> split_astraea_random(const PartitionSpec& spec, const Pool& pool,
                                                       const std::vector<int64_t>& sizes, HostEngine& engine) {
  const int classes = static_cast<int>(pool.size());
  std::vector<std::vector<int32_t>> clients(spec.clients);
  std::vector<int64_t> order(spec.clients);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), engine);  // no client is always served last
  Cursor cursor(pool);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int64_t k : order) {
    std::vector<double> mix = dirichlet(engine, spec.local_beta, classes);
    for (int64_t j = 0; j < sizes[k]; ++j) {
      double mass = 0;
      for (int y = 0; y < classes; ++y) mass += cursor.left(y) > 0 ? mix[y] : 0.0;
      if (mass <= 0) {  // this client's classes ran out: fall back to what is left, by remaining size
        for (int y = 0; y < classes; ++y) mass += (mix[y] = static_cast<double>(cursor.left(y)));
      }
      double u = unit(engine) * mass;
      int pick = -1;
      for (int y = 0; y < classes; ++y) {
        if (cursor.left(y) == 0 || mix[y] <= 0) continue;
        pick = y;
        if ((u -= mix[y]) < 0) break;
      }
      ASTRAEA_CHECK(pick >= 0, "pool exhausted at client {}", k);
      clients[k].push_back(cursor.take(pick));
    }
  }
  return clients;
}

std::vector<std::vector<int32_t>> split_by_sizes(const std::vector<int32_t>& shuffled, const std::vector<int64_t>& sizes) {
  std::vector<std::vector<int32_t>> clients(sizes.size());
  size_t at = 0;
  for (size_t k = 0; k < sizes.size(); ++k) {
    clients[k].assign(shuffled.begin() + at, shuffled.begin() + at + sizes[k]);
    at += sizes[k];
  }
  return clients;
}

std::vector<std::vector<int32_t>> split_dirichlet(const PartitionSpec& spec, double beta, const Pool& pool,
                                                  HostEngine& engine) {
  // Redraw (bounded) until every client reaches the minimum, as is standard for this split.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::vector<std::vector<int32_t>> clients(spec.clients);
    for (const auto& ids : pool) {
      const std::vector<int64_t> counts = apportion(static_cast<int64_t>(ids.size()), dirichlet(engine, beta, spec.clients));
      size_t at = 0;
      for (int64_t k = 0; k < spec.clients; ++k) {
        clients[k].insert(clients[k].end(), ids.begin() + at, ids.begin() + at + counts[k]);
        at += counts[k];
      }
    }
    const bool ok = std::all_of(clients.begin(), clients.end(),
                                [&](const auto& c) { return static_cast<int64_t>(c.size()) >= spec.min_client_size; });
    if (ok) return clients;
  }
  ASTRAEA_FAIL("partition.method = \"{}\": 1000 draws each left a client with fewer than partition.min_client_size = {} "
               "samples; raise beta or partition.samples, or lower partition.clients",
               spec.method, spec.min_client_size);
}

std::vector<std::vector<int32_t>> split_shards(const PartitionSpec& spec, int64_t per_client, const Pool& pool,
                                               HostEngine& engine) {
  std::vector<int32_t> sorted;  // by label, shuffled within each label
  for (const auto& ids : pool) sorted.insert(sorted.end(), ids.begin(), ids.end());
  const int64_t shards = spec.clients * per_client;
  ASTRAEA_REQUIRE(static_cast<int64_t>(sorted.size()) >= shards,
                  "partition.method = \"{}\": {} samples cannot make {} shards ({} clients x {})", spec.method,
                  sorted.size(), shards, spec.clients, per_client);
  const std::vector<int64_t> shard_sizes = apportion(static_cast<int64_t>(sorted.size()), std::vector<double>(shards, 1.0));
  std::vector<int64_t> shard_start(shards + 1, 0);
  for (int64_t s = 0; s < shards; ++s) shard_start[s + 1] = shard_start[s] + shard_sizes[s];
  std::vector<int64_t> order(shards);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), engine);
  std::vector<std::vector<int32_t>> clients(spec.clients);
  for (int64_t i = 0; i < shards; ++i) {
    const int64_t s = order[i];
    auto& c = clients[i / per_client];
    c.insert(c.end(), sorted.begin() + shard_start[s], sorted.begin() + shard_start[s + 1]);
  }
  return clients;
}

// The split methods (partition.method = "name" or "name:param").
struct SplitInput {
  const PartitionSpec& spec;
  double param;  // the method's parameter (0 when it takes none)
  const Pool& pool;
  int64_t total;
  HostEngine& engine;
  std::vector<int32_t> shuffled() const {
    std::vector<int32_t> all;
    for (const auto& ids : pool) all.insert(all.end(), ids.begin(), ids.end());
    std::shuffle(all.begin(), all.end(), engine);
    return all;
  }
};

struct PartitionMethod {
  enum Param { kNone, kPositive, kWholePositive } param;
  std::vector<std::vector<int32_t>> (*split)(const SplitInput&);
};

const Registry<PartitionMethod>& partition_methods() {
  static const Registry<PartitionMethod> r(
      "partition method",
      {{"astraea", "the papers' protocol: sizes from partition.sizes, label mixes from partition.local",
        {PartitionMethod::kNone,
         [](const SplitInput& in) {
           const std::vector<int64_t> sizes = client_sizes(in.spec, in.total, in.engine);
           return in.spec.local == "random" ? split_astraea_random(in.spec, in.pool, sizes, in.engine)
                                            : split_by_sizes(in.shuffled(), sizes);
         }}},
       {"dirichlet", "dirichlet:beta, each class's samples dealt in Dirichlet(beta) proportions",
        {PartitionMethod::kPositive,
         [](const SplitInput& in) { return split_dirichlet(in.spec, in.param, in.pool, in.engine); }}},
       {"shards", "shards:k, McMahan's split: k label-sorted shards per client",
        {PartitionMethod::kWholePositive,
         [](const SplitInput& in) { return split_shards(in.spec, static_cast<int64_t>(in.param), in.pool, in.engine); }}},
       {"iid", "a random split with client sizes from partition.sizes",
        {PartitionMethod::kNone,
         [](const SplitInput& in) { return split_by_sizes(in.shuffled(), client_sizes(in.spec, in.total, in.engine)); }}}});
  return r;
}

// The method and its checked parameter; throws naming partition.method.
std::pair<const PartitionMethod*, double> parse_method(const PartitionSpec& spec) {
  const NamedSpec method = parse_named_spec(spec.method, "partition.method");
  const auto* entry = partition_methods().find(method.name);
  ASTRAEA_REQUIRE(entry, "partition.method = \"{}\": unknown method '{}' (expected astraea, dirichlet:beta, shards:k or iid)",
                  spec.method, method.name);
  const PartitionMethod& m = entry->make;
  if (m.param == PartitionMethod::kNone) {
    ASTRAEA_REQUIRE(!method.value, "partition.method = \"{}\": '{}' takes no parameter", spec.method, method.name);
    return {&m, 0.0};
  }
  const double v = require_param(method, "partition.method", 0.0);
  if (m.param == PartitionMethod::kWholePositive) {
    ASTRAEA_REQUIRE(v == std::floor(v), "partition.method = \"{}\": the shard count must be a whole number", spec.method);
  }
  return {&m, v};
}

}  // namespace

void check_partition_spec(const PartitionSpec& spec) {
  ASTRAEA_REQUIRE(spec.clients >= 1 && spec.clients <= int64_t(1) << 30, "partition.clients = {}: must be in [1, 2^30]",
                  spec.clients);
  ASTRAEA_REQUIRE(spec.samples >= 0, "partition.samples = {}: must be >= 0 (0 = as many as the profile allows)",
                  spec.samples);
  ASTRAEA_REQUIRE(spec.min_client_size >= 1 && spec.min_client_size <= int64_t(1) << 30,
                  "partition.min_client_size = {}: must be in [1, 2^30]", spec.min_client_size);
  ASTRAEA_REQUIRE(spec.local_beta > 0 && spec.local_beta <= 1e6, "partition.local_beta = {}: must be in (0, 1e6]",
                  spec.local_beta);
  ASTRAEA_REQUIRE(spec.local == "random" || spec.local == "balanced",
                  "partition.local = \"{}\": expected random or balanced", spec.local);
  check_class_profile(spec.global, "partition.global");
  const NamedSpec sizes = parse_named_spec(spec.sizes, "partition.sizes");
  if (sizes.name == "lognormal") {
    const double sigma = require_param(sizes, "partition.sizes", 0.0, true);
    // Beyond this a few clients get every sample (exp(10 z) spans 10^+-13 over z in [-3, 3]).
    ASTRAEA_REQUIRE(sigma <= 10, "partition.sizes = \"{}\": sigma must be at most 10", spec.sizes);
  } else {
    ASTRAEA_REQUIRE(sizes.name == "even" && !sizes.value,
                    "partition.sizes = \"{}\": unknown size model (expected even or lognormal:sigma)", spec.sizes);
  }
  parse_method(spec);
}

std::vector<int64_t> global_class_counts(const PartitionSpec& spec, const std::vector<int64_t>& available) {
  const int classes = static_cast<int>(available.size());
  const std::vector<double> w = class_profile(spec.global, classes, "partition.global");
  double scale = std::numeric_limits<double>::infinity();
  for (int y = 0; y < classes; ++y) {
    if (w[y] > 0) scale = std::min(scale, available[y] / w[y]);
  }
  std::vector<int64_t> counts(classes, 0);
  for (int y = 0; y < classes; ++y) counts[y] = std::min<int64_t>(available[y], static_cast<int64_t>(std::floor(scale * w[y] + 1e-9)));
  const int64_t most = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  if (spec.samples == 0) return counts;
  ASTRAEA_REQUIRE(spec.samples <= most,
                  "partition.samples = {}: profile \"{}\" allows at most {} samples of this training set", spec.samples,
                  spec.global, most);
  std::vector<int64_t> scaled = apportion(spec.samples, w);
  for (int y = 0; y < classes; ++y) scaled[y] = std::min(scaled[y], counts[y]);
  // Rounding may leave a few samples short: hand them to classes with room, largest first.
  int64_t short_by = spec.samples - std::accumulate(scaled.begin(), scaled.end(), int64_t{0});
  for (int y = 0; short_by > 0 && y < classes; ++y) {
    const int64_t add = std::min(short_by, counts[y] - scaled[y]);
    scaled[y] += add;
    short_by -= add;
  }
  return scaled;
}

ClientStore make_partition(const PartitionSpec& spec, const std::vector<int32_t>& labels, int classes) {
  check_partition_spec(spec);
  std::vector<int64_t> available(classes, 0);
  for (int32_t y : labels) ++available[y];
  const std::vector<int64_t> counts = global_class_counts(spec, available);
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  ASTRAEA_REQUIRE(spec.min_client_size <= total / spec.clients,
                  "partition.clients = {}: more clients than the {} samples allow at partition.min_client_size = {}",
                  spec.clients, total, spec.min_client_size);

  HostEngine engine = make_host_engine(spec.seed, RngStream::kPartition);
  // The global subsample: a seeded random choice of counts[y] samples of each class.
  Pool pool(classes);
  for (int32_t i = 0; i < static_cast<int32_t>(labels.size()); ++i) pool[labels[i]].push_back(i);
  for (int y = 0; y < classes; ++y) {
    std::shuffle(pool[y].begin(), pool[y].end(), engine);
    pool[y].resize(counts[y]);
  }
  const auto [method, param] = parse_method(spec);
  const std::vector<std::vector<int32_t>> clients = method->split(SplitInput{spec, param, pool, total, engine});

  ClientStore store(classes);
  for (std::vector<int32_t> ids : clients) {
    std::sort(ids.begin(), ids.end());  // a client's sample order is its own business; keep it canonical
    store.add_client(ids.data(), static_cast<int64_t>(ids.size()), labels);
  }
  return store;
}

PartitionStats partition_stats(const ClientStore& store) {
  PartitionStats s;
  s.global_counts = store.global_histogram();
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
  for (int64_t c : s.global_counts) {
    if (c == 0) {
      ++s.empty_classes;
      continue;
    }
    lo = std::min(lo, c);
    hi = std::max(hi, c);
  }
  s.max_min_ratio = hi > 0 ? static_cast<double>(hi) / lo : 0.0;
  s.global_kl = kl_to_uniform(s.global_counts.data(), store.classes());
  double kl_sum = 0;
  s.min_client_size = store.num_clients() ? std::numeric_limits<int64_t>::max() : 0;
  for (int64_t k = 0; k < store.num_clients(); ++k) {
    kl_sum += kl_to_uniform(store.histogram_row(k), store.classes());
    s.min_client_size = std::min(s.min_client_size, store.size(k));
    s.max_client_size = std::max(s.max_client_size, store.size(k));
  }
  if (store.num_clients() > 0) {
    s.mean_client_kl = kl_sum / store.num_clients();
    s.mean_client_size = static_cast<double>(store.total_samples()) / store.num_clients();
  }
  return s;
}

}  // namespace astraea

namespace astraea {

std::vector<std::string> partition_method_names() { return partition_methods().names(); }

}  // namespace astraea
