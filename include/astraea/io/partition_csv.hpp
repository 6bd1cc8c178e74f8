// A partition's client files: a CSV row per client with its id, size and label histogram, the
// clients' sample ids, and the mediator groups a scheduler made of them — for other simulators.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astraea/data/client_store.hpp"

namespace astraea {

// Header: id,size,class_0,...,class_{N-1}. Throws naming the path when it cannot be written.
void write_clients_csv(const ClientStore& store, const std::string& path);

// One line per client (line k = client k): its sample ids into the training set, space-separated,
// so another simulator can train on exactly this partition.
void write_client_samples(const ClientStore& store, const std::string& path);

struct ClientHistograms {
  int classes = 0;
  std::vector<int64_t> ids;     // ascending
  std::vector<int32_t> counts;  // [ids x classes]
};

// Reads what write_clients_csv writes (ids ascending, size = the row's sum); throws naming the file,
// line and what is wrong.
ClientHistograms read_clients_csv(const std::string& path);

// Header: mediator,client,order (order: the client's place in its mediator's chain, from 0).
void write_groups_csv(const std::vector<std::vector<int64_t>>& groups, const std::string& path);

// Reads what write_groups_csv writes, in any line order: mediator m's clients by order. Mediators
// and orders run from 0 without gaps and each client is in one mediator; throws naming the file,
// line and what is wrong.
std::vector<std::vector<int64_t>> read_groups_csv(const std::string& path);

}  // namespace astraea
