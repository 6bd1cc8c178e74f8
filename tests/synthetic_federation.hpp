// A small synthetic federation for tests: a learnable synthetic image set, its Dirichlet partition
// and the matching sample pool, built in a few milliseconds.
#pragma once

#include "astraea/data/partition.hpp"
#include "astraea/data/synthetic.hpp"
#include "astraea/kernels/gather.hpp"

namespace astraea::testing {

struct SyntheticFederation {
  explicit SyntheticFederation(int side = 8, int classes = 4, int64_t train = 400, int64_t clients = 12,
                               const std::string& method = "dirichlet:0.5", uint64_t seed = 3) {
    SyntheticSpec spec;
    spec.height = spec.width = side;
    spec.train_samples = train;
    spec.test_samples = train / 4;
    spec.classes = classes;
    data = make_synthetic(spec, seed);
    PartitionSpec p;
    p.method = method;
    p.clients = clients;
    p.seed = seed + 1;
    store = make_partition(p, data.train.labels, classes);
    pool = SamplePool{data.train.images.data(), data.train.labels.data(), data.train.n, nullptr, nullptr, 1, side, side};
  }
  TrainTest data;
  ClientStore store;
  SamplePool pool{};
};

}  // namespace astraea::testing
