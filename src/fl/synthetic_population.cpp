#include "astraea/fl/synthetic_population.hpp"

#include <cmath>
#include <random>

#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"

namespace astraea {

std::vector<int32_t> synthetic_histograms(const PopulationSpec& spec) {
  ASTRAEA_REQUIRE(spec.clients >= 1, "--clients {}: must be at least 1", spec.clients);
  ASTRAEA_REQUIRE(spec.classes >= 2, "--classes {}: must be at least 2", spec.classes);
  ASTRAEA_REQUIRE(spec.skew > 0, "--skew {}: must be > 0", spec.skew);
  ASTRAEA_REQUIRE(spec.median_size >= 1 && spec.size_sigma >= 0, "client sizes: median {} sigma {}", spec.median_size,
                  spec.size_sigma);
  std::vector<int32_t> h(static_cast<size_t>(spec.clients) * spec.classes, 0);
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < spec.clients; ++k) {
    HostEngine engine = make_host_engine(spec.seed, RngStream::kScheduler, static_cast<uint32_t>(k),
                                         static_cast<uint32_t>(k >> 32), 0xC0FFEEu);
    std::lognormal_distribution<double> size(std::log(spec.median_size), spec.size_sigma);
    std::gamma_distribution<double> gamma(spec.skew, 1.0);
    const int64_t n = 1 + static_cast<int64_t>(size(engine));
    std::vector<double> cumulative(spec.classes);
    double total = 0;
    for (int y = 0; y < spec.classes; ++y) cumulative[y] = (total += gamma(engine));
    std::uniform_real_distribution<double> unit(0.0, total);
    int32_t* row = h.data() + k * spec.classes;
    for (int64_t i = 0; i < n; ++i) {
      const double u = unit(engine);
      int y = 0;
      while (y + 1 < spec.classes && cumulative[y] <= u) ++y;
      ++row[y];
    }
  }
  return h;
}

}  // namespace astraea
