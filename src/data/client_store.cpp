#include "astraea/data/client_store.hpp"

#include "astraea/core/error.hpp"

namespace astraea {

void ClientStore::add_client(const int32_t* sample_ids, int64_t count, const std::vector<int32_t>& labels) {
  const size_t row = histogram_.size();
  histogram_.resize(row + classes_, 0);
  for (int64_t i = 0; i < count; ++i) {
    const int32_t id = sample_ids[i];
    ASTRAEA_CHECK(id >= 0 && static_cast<size_t>(id) < labels.size(), "sample id {} outside the pool of {}", id,
                  labels.size());
    ASTRAEA_CHECK(labels[id] >= 0 && labels[id] < classes_, "label {} outside [0, {})", labels[id], classes_);
    ++histogram_[row + labels[id]];
    indices_.push_back(id);
  }
  offsets_.push_back(static_cast<int64_t>(indices_.size()));
}

std::vector<int64_t> ClientStore::global_histogram() const {
  std::vector<int64_t> total(classes_, 0);
  for (size_t i = 0; i < histogram_.size(); ++i) total[i % classes_] += histogram_[i];
  return total;
}

}  // namespace astraea
