// Writes a client store: a CSV row per client with its id, size and label histogram, and the
// clients' sample ids.
#pragma once

#include <string>

#include "astraea/data/client_store.hpp"

namespace astraea {

// Header: id,size,class_0,...,class_{N-1}. Throws naming the path when it cannot be written.
void write_clients_csv(const ClientStore& store, const std::string& path);

// One line per client (line k = client k): its sample ids into the training set, space-separated,
// so another simulator can train on exactly this partition.
void write_client_samples(const ClientStore& store, const std::string& path);

}  // namespace astraea
