#include "astraea/io/partition_csv.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "astraea/core/error.hpp"

namespace astraea {

void write_clients_csv(const ClientStore& store, const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "w"), std::fclose);
  if (!f) ASTRAEA_FAIL("{}: cannot write ({})", path, std::strerror(errno));
  std::fprintf(f.get(), "id,size");
  for (int y = 0; y < store.classes(); ++y) std::fprintf(f.get(), ",class_%d", y);
  std::fputc('\n', f.get());
  for (int64_t k = 0; k < store.num_clients(); ++k) {
    std::fprintf(f.get(), "%lld,%lld", static_cast<long long>(k), static_cast<long long>(store.size(k)));
    const int32_t* h = store.histogram_row(k);
    for (int y = 0; y < store.classes(); ++y) std::fprintf(f.get(), ",%d", h[y]);
    std::fputc('\n', f.get());
  }
  if (std::ferror(f.get())) ASTRAEA_FAIL("{}: write failed", path);
}

void write_client_samples(const ClientStore& store, const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "w"), std::fclose);
  if (!f) ASTRAEA_FAIL("{}: cannot write ({})", path, std::strerror(errno));
  for (int64_t k = 0; k < store.num_clients(); ++k) {
    for (int64_t i = 0; i < store.size(k); ++i) std::fprintf(f.get(), i ? " %d" : "%d", store.samples(k)[i]);
    std::fputc('\n', f.get());
  }
  if (std::ferror(f.get())) ASTRAEA_FAIL("{}: write failed", path);
}

}  // namespace astraea
