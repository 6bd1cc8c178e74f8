#include "client_state.hpp"

#include <algorithm>
#include <string>

#include "astraea/core/error.hpp"

namespace astraea::algorithms {

float* ClientStateStore::slot(size_t index) const {
  return const_cast<float*>(blocks_[index / rows_per_block_].data()) + (index % rows_per_block_) * params_;
}

float* ClientStateStore::ensure(int64_t client) {
  const auto it = index_.find(client);
  if (it != index_.end()) return slot(it->second);
  if (rows_per_block_ == 0) rows_per_block_ = std::max<int64_t>(1, (int64_t(64) << 20) / (4 * params_));
  const size_t index = clients_.size();
  if (index / rows_per_block_ >= blocks_.size()) {
    blocks_.emplace_back(backend_, size_t(rows_per_block_ * params_));
    backend_.zero(blocks_.back().data(), blocks_.back().bytes());
  }
  clients_.push_back(client);
  index_[client] = index;
  return slot(index);
}

float* ClientStateStore::row(int64_t client) const {
  const auto it = index_.find(client);
  return it == index_.end() ? nullptr : slot(it->second);
}

void ClientStateStore::save(AlgorithmState& state, const std::string& name) const {
  StateTensor t{name, {int64_t(clients_.size()), params_}, std::vector<float>(clients_.size() * size_t(params_))};
  for (size_t i = 0; i < clients_.size(); ++i) {
    backend_.download(t.data.data() + i * params_, slot(i), sizeof(float) * params_);
  }
  state.tensors.push_back(std::move(t));
  std::string ids;
  for (int64_t k : clients_) ids += (ids.empty() ? "" : ",") + std::to_string(k);
  state.metadata[name + ".clients"] = ids;
}

void ClientStateStore::load(const AlgorithmState& state, const std::string& name, const std::string& source) {
  const StateTensor* t = state.find(name);
  const auto meta = state.metadata.find(name + ".clients");
  if (!t || meta == state.metadata.end()) ASTRAEA_FAIL("{}: holds no {} (the clients' state)", source, name);
  std::vector<int64_t> ids;
  for (size_t at = 0; at < meta->second.size();) {
    const size_t comma = std::min(meta->second.find(',', at), meta->second.size());
    try {
      ids.push_back(std::stoll(meta->second.substr(at, comma - at)));
    } catch (const std::exception&) {
      ASTRAEA_FAIL("{}: {}.clients is not a list of client ids", source, name);
    }
    at = comma + 1;
  }
  if (t->shape.size() != 2 || t->shape[0] != int64_t(ids.size()) || t->shape[1] != params_) {
    ASTRAEA_FAIL("{}: {} has the wrong shape for {} clients of {} parameters", source, name, ids.size(), params_);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    backend_.upload(ensure(ids[i]), t->data.data() + i * params_, sizeof(float) * params_);
  }
}

}  // namespace astraea::algorithms
