// Splitting a training set into clients. Two steps, both seeded:
//  1. the global class distribution: subsample the training set so its class sizes follow the
//     profile `global` (class_profile.hpp), as many samples as the profile allows or `samples`;
//  2. the split into `clients` clients by `method`:
//     astraea         the papers' protocol: client sizes from `sizes` (even | lognormal:sigma),
//                     local label mixes from `local` (random = Dirichlet(local_beta) per client,
//                     balanced = each client follows the global distribution)
//     dirichlet:beta  per class, its samples go to clients in Dirichlet(beta) proportions
//     shards:k        McMahan's pathological split: sorted by label, cut into clients * k
//                     shards, k random shards per client
//     iid             a random split with client sizes from `sizes`
// Every sample goes to at most one client; every client gets at least `min_client_size`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astraea/data/client_store.hpp"

namespace astraea {

struct PartitionSpec {
  std::string method = "astraea";
  int64_t clients = 100;
  std::string global = "balanced";
  int64_t samples = 0;  // 0 = as many as the profile allows
  std::string sizes = "even";
  std::string local = "random";
  double local_beta = 0.5;
  int64_t min_client_size = 1;
  uint64_t seed = 1;
};

// Checks every key that can be checked without the data (counts, names, parameters); throws
// naming the partition.* key at fault.
void check_partition_spec(const PartitionSpec& spec);

// The split methods' names (partition.method).
std::vector<std::string> partition_method_names();

// Step 1 alone: the class sizes the profile asks of a pool with `available` samples per class.
std::vector<int64_t> global_class_counts(const PartitionSpec& spec, const std::vector<int64_t>& available);

// Both steps; `labels` are the training set's labels. Throws naming the partition.* key at fault.
ClientStore make_partition(const PartitionSpec& spec, const std::vector<int32_t>& labels, int classes);

struct PartitionStats {
  std::vector<int64_t> global_counts;
  double max_min_ratio = 0;    // largest / smallest non-empty class
  double global_kl = 0;        // KL(global distribution || uniform)
  double mean_client_kl = 0;   // mean over clients of KL(client distribution || uniform)
  int64_t min_client_size = 0;
  int64_t max_client_size = 0;
  double mean_client_size = 0;
  int64_t empty_classes = 0;
};

PartitionStats partition_stats(const ClientStore& store);

}  // namespace astraea
