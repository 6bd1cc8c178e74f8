#include "astraea/data/augmentation.hpp"

#include <algorithm>
#include <cmath>
#include <climits>
#include <numeric>

#include <unistd.h>

#include <omp.h>

#include "astraea/backend/backend.hpp"
#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"

namespace astraea {

namespace {

std::vector<double> no_ratios(const std::vector<int64_t>& sizes, const AugmentationConfig&) {
  return std::vector<double>(sizes.size(), 1.0);
}

// ICCD Alg. 2: classes below the mean grow by (mean / C_y)^alpha; nothing is downsampled.
std::vector<double> power_ratios(const std::vector<int64_t>& sizes, const AugmentationConfig& config) {
  const size_t n = sizes.size();
  std::vector<double> ratio(n, 1.0);
  if (n == 0) return ratio;
  const double mean = std::accumulate(sizes.begin(), sizes.end(), 0.0) / n;
  for (size_t y = 0; y < n; ++y) {
    if (sizes[y] > 0 && sizes[y] < mean) ratio[y] = std::pow(mean / sizes[y], config.alpha);
  }
  return ratio;
}

// TPDS Alg. 2, in the reading its text gives (the printed formula contradicts it; README):
// augment a rare class up to mu - sigma sqrt(z tau_a), downsample a dominant one to
// mu + sigma sqrt(z tau_d). Both targets meet C_y at the thresholds.
std::vector<double> zscore_ratios(const std::vector<int64_t>& sizes, const AugmentationConfig& config) {
  const size_t n = sizes.size();
  std::vector<double> ratio(n, 1.0);
  if (n == 0) return ratio;
  const double mean = std::accumulate(sizes.begin(), sizes.end(), 0.0) / n;
  double ss = 0;
  for (int64_t c : sizes) ss += (c - mean) * (c - mean);
  const double sigma = std::sqrt(ss / (config.sample_sigma ? std::max<size_t>(n - 1, 1) : n));
  if (sigma == 0) return ratio;
  const double tau_d = config.tau_d, tau_a = -1.0 / config.tau_d;
  for (size_t y = 0; y < n; ++y) {
    if (sizes[y] == 0) continue;
    const double z = (sizes[y] - mean) / sigma;
    if (z < tau_a) ratio[y] = (mean - sigma * std::sqrt(z * tau_a)) / sizes[y];
    if (z > tau_d) ratio[y] = (sigma * std::sqrt(z * tau_d) + mean) / sizes[y];
  }
  return ratio;
}

}  // namespace

const Registry<AugmentationRule>& augmentation_registry() {
  static const Registry<AugmentationRule> r(
      "augmentation",
      {{"none", "no augmentation or downsampling", no_ratios},
       {"zscore", "TPDS Alg. 2: augment below tau_a = -1/tau_d, downsample above tau_d", zscore_ratios},
       {"power", "ICCD Alg. 2: classes below the mean grow by (mean / C_y)^alpha", power_ratios}});
  return r;
}

namespace {

double memory_bytes() { return double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE)); }

}  // namespace

std::vector<double> augmentation_ratios(const std::vector<int64_t>& sizes, const AugmentationConfig& config) {
  return augmentation_registry().at(config.method, "astraea.augmentation").make(sizes, config);
}

AugmentedData augment_clients(const ClientStore& store, const Dataset& train, const AugmentationConfig& config,
                              uint64_t seed, Backend& backend) {
  return augment_clients(store, train, config, augmentation_ratios(store.global_histogram(), config), seed, backend);
}

namespace {

constexpr const char* kOpNames[kAugmentOps] = {"shift", "rotation", "shear", "zoom", "flip", "brightness"};

}  // namespace

uint32_t parse_transforms(const std::string& list, const std::string& key) {
  if (list == "all") return kAllOps;
  if (list == "none") return 0;
  uint32_t ops = 0;
  size_t at = 0;
  while (at <= list.size()) {
    size_t end = list.find_first_of(",| ", at);
    if (end == std::string::npos) end = list.size();
    const std::string name = list.substr(at, end - at);
    if (name.empty()) {
      at = end + 1;
      continue;
    }
    const auto* it = std::find(std::begin(kOpNames), std::end(kOpNames), name);
    if (it == std::end(kOpNames)) {
      ASTRAEA_FAIL("{} = \"{}\": \"{}\" is not a transform (expected shift, rotation, shear, zoom, flip, brightness, "
                   "all or none)",
                   key, list, name);
    }
    ops |= 1u << (it - std::begin(kOpNames));
    at = end + 1;
  }
  if (ops == 0) ASTRAEA_FAIL("{} = \"{}\": names no transform (write \"none\" for none)", key, list);
  return ops;
}

std::string transforms_name(uint32_t ops) {
  if (ops == 0) return "none";
  std::string s;
  for (int op = 0; op < kAugmentOps; ++op)
    if ((ops >> op) & 1u) s += (s.empty() ? "" : ",") + std::string(kOpNames[op]);
  return s;
}

AugmentedData augment_clients(const ClientStore& store, const Dataset& train, const AugmentationConfig& config,
                              const std::vector<double>& ratios, uint64_t seed, Backend& backend) {
  AugmentedData out;
  out.ratios = ratios;
  ASTRAEA_REQUIRE(config.class_ops.size() <= ratios.size() && config.class_max_ratio.size() <= ratios.size(),
                  "classes.file describes {} classes, the data has {}",
                  std::max(config.class_ops.size(), config.class_max_ratio.size()), ratios.size());
  for (size_t y = 0; y < config.class_max_ratio.size(); ++y) {
    if (config.class_max_ratio[y] > 0) out.ratios[y] = std::min(out.ratios[y], config.class_max_ratio[y]);
  }
  // A class no transform may touch gets no copies (its originals stay).
  for (size_t y = 0; y < out.ratios.size(); ++y)
    if (config.ops_of(int(y)) == 0) out.ratios[y] = std::min(out.ratios[y], 1.0);
  const int64_t clients = store.num_clients();
  out.generated_per_client.assign(clients, 0);
  out.dropped_per_client.assign(clients, 0);
  // What the ratios ask for, before anything is generated: sample ids are 32-bit and the images
  // must fit in memory.
  const std::vector<int64_t> sizes = store.global_histogram();
  double planned = 0;
  for (size_t y = 0; y < sizes.size(); ++y) {
    if (!std::isfinite(out.ratios[y])) {
      ASTRAEA_FAIL("astraea.augmentation = \"{}\": class {}'s ratio is not finite: lower astraea.alpha or "
                   "astraea.tau_d",
                   config.method, y);
    }
    planned += std::max(0.0, out.ratios[y] - 1.0) * double(sizes[y]);
  }
  const double limit = std::min(double(INT32_MAX) - double(train.n), 0.5 * double(memory_bytes()) / train.sample_bytes());
  if (planned > limit) {
    ASTRAEA_FAIL("astraea.augmentation = \"{}\" would generate about {:.3g} images, more than {:.3g} (32-bit sample "
                 "ids, half this machine's memory): lower astraea.alpha or raise astraea.tau_d",
                 config.method, planned, limit);
  }

  // Decide, per client and sample, what is kept and how many copies are generated.
  std::vector<std::vector<int32_t>> kept(clients);
  std::vector<AugmentJob> jobs;
  for (int64_t k = 0; k < clients; ++k) {
    for (int64_t i = 0; i < store.size(k); ++i) {
      const int32_t id = store.samples(k)[i];
      const double r = out.ratios[train.labels[id]];
      const Philox4 bits = philox(seed, RngStream::kAugmentCount, static_cast<uint32_t>(k), static_cast<uint32_t>(i), 0, 0);
      const double u = to_unit_float(bits.v[0]);
      if (r < 1.0 && u >= r) {
        ++out.dropped_per_client[k];
        continue;
      }
      kept[k].push_back(id);
      if (r <= 1.0) continue;
      const double extra = r - 1.0;
      const int64_t copies = static_cast<int64_t>(std::floor(extra)) + (u < extra - std::floor(extra) ? 1 : 0);
      for (int64_t c = 0; c < copies; ++c) {
        jobs.push_back(make_augment_job(id, seed, static_cast<uint32_t>(k), static_cast<uint32_t>(i),
                                        static_cast<uint32_t>(c), config.ranges, train.height, train.width,
                                        config.ops_of(train.labels[id])));
      }
      out.generated_per_client[k] += copies;
    }
  }

  // Generate the images: the shared functor over every (image, row).
  const size_t bytes = train.sample_bytes();
  const int64_t count = static_cast<int64_t>(jobs.size());
  out.images.resize(jobs.size() * bytes);
  out.labels.resize(jobs.size());
  for (int64_t j = 0; j < count; ++j) out.labels[j] = train.labels[jobs[j].source];
  if (count > 0 && backend.is_device()) {
    DeviceArray<uint8_t> pool(backend, train.images.size()), images(backend, out.images.size());
    DeviceArray<AugmentJob> device_jobs(backend, jobs.size());
    pool.upload(train.images.data(), train.images.size());
    device_jobs.upload(jobs.data(), jobs.size());
    backend.launch(AugmentImages{pool.data(), device_jobs.data(), images.data(), train.channels, train.height,
                                 train.width},
                   count, train.height);
    images.download(out.images.data(), out.images.size());
  } else if (count > 0) {
    // CPU: one slice of images per lane.
    const int lanes = backend.lanes();
#pragma omp parallel for schedule(static) num_threads(lanes)
    for (int lane = 0; lane < lanes; ++lane) {
      const int64_t begin = count * lane / lanes, end = count * (lane + 1) / lanes;
      if (end == begin) continue;
      backend.launch(AugmentImages{train.images.data(), jobs.data() + begin, out.images.data() + begin * bytes,
                                   train.channels, train.height, train.width},
                     end - begin, train.height);
    }
  }

  // The new client store: each client's kept originals, then its generated samples.
  std::vector<int32_t> all_labels(train.labels);
  all_labels.insert(all_labels.end(), out.labels.begin(), out.labels.end());
  out.clients = ClientStore(store.classes());
  int64_t next = 0;
  std::vector<int32_t> ids;
  for (int64_t k = 0; k < clients; ++k) {
    ids = kept[k];
    for (int64_t g = 0; g < out.generated_per_client[k]; ++g) ids.push_back(static_cast<int32_t>(train.n + next++));
    out.clients.add_client(ids.data(), static_cast<int64_t>(ids.size()), all_labels);
  }
  return out;
}

}  // namespace astraea
