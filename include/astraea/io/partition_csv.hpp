// Writes a client store as CSV: one row per client with its id, size and label histogram.
#pragma once

#include <string>

#include "astraea/data/client_store.hpp"

namespace astraea {

// Header: id,size,class_0,...,class_{N-1}. Throws naming the path when it cannot be written.
void write_clients_csv(const ClientStore& store, const std::string& path);

}  // namespace astraea
