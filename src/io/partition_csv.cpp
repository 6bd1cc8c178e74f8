#include "astraea/io/partition_csv.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "astraea/core/error.hpp"
#include "astraea/io/output_file.hpp"

namespace astraea {

void write_clients_csv(const ClientStore& store, const std::string& path) {
  std::string text = "id,size";
  for (int y = 0; y < store.classes(); ++y) text += fmt::format(",class_{}", y);
  text += '\n';
  for (int64_t k = 0; k < store.num_clients(); ++k) {
    text += fmt::format("{},{}", k, store.size(k));
    const int32_t* h = store.histogram_row(k);
    for (int y = 0; y < store.classes(); ++y) text += fmt::format(",{}", h[y]);
    text += '\n';
  }
  write_file_atomically(path, text);
}

void write_client_samples(const ClientStore& store, const std::string& path) {
  std::string text;
  for (int64_t k = 0; k < store.num_clients(); ++k) {
    for (int64_t i = 0; i < store.size(k); ++i) text += fmt::format(i ? " {}" : "{}", store.samples(k)[i]);
    text += '\n';
  }
  write_file_atomically(path, text);
}

}  // namespace astraea
