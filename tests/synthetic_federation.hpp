// The small synthetic federation tests share: a learnable synthetic image set, its partition and
// the matching sample pool, built in milliseconds. Options default to an 8x8, 4-class set of 400
// images over 12 Dirichlet(0.5) clients.
#pragma once

#include <string>

#include "astraea/data/partition.hpp"
#include "astraea/data/synthetic.hpp"
#include "astraea/kernels/gather.hpp"

namespace astraea::testing {

struct FederationSpec {
  int side = 8;
  int classes = 4;
  int64_t train_samples = 400;
  int64_t test_samples = 100;
  float noise = 0.5f;
  uint64_t data_seed = 3;
  int64_t clients = 12;
  std::string method = "dirichlet:0.5";
  std::string global = "balanced";
  uint64_t partition_seed = 4;
};

struct SyntheticFederation {
  explicit SyntheticFederation(const FederationSpec& f = FederationSpec()) {
    SyntheticSpec spec;
    spec.height = spec.width = f.side;
    spec.train_samples = f.train_samples;
    spec.test_samples = f.test_samples;
    spec.classes = f.classes;
    spec.noise = f.noise;
    data = make_synthetic(spec, f.data_seed);
    PartitionSpec p;
    p.method = f.method;
    p.clients = f.clients;
    p.global = f.global;
    p.seed = f.partition_seed;
    store = make_partition(p, data.train.labels, f.classes);
    pool = SamplePool{data.train.images.data(), data.train.labels.data(), data.train.n, nullptr, nullptr, 1, f.side,
                      f.side};
  }
  // The older positional form: side, classes, training images, clients, partition method, data seed.
  SyntheticFederation(int side, int classes, int64_t train, int64_t clients, const std::string& method,
                      uint64_t seed = 3)
      : SyntheticFederation(FederationSpec{side, classes, train, train / 4, 0.5f, seed, clients, method, "balanced",
                                           seed + 1}) {}
  TrainTest data;
  ClientStore store;
  SamplePool pool{};
};

}  // namespace astraea::testing
