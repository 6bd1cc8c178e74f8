// Clients are rows, not objects: every client's sample ids in CSR form (offsets + indices into one
// training pool) and a dense [clients x classes] label histogram. Holding 10^6 clients costs two
// arrays, never a heap object per client.
#pragma once

#include <cstdint>
#include <vector>

namespace astraea {

class ClientStore {
 public:
  ClientStore() = default;
  explicit ClientStore(int classes) : classes_(classes) {}

  // Appends a client owning `count` samples; `labels` maps a sample id to its label.
  void add_client(const int32_t* sample_ids, int64_t count, const std::vector<int32_t>& labels);

  int classes() const { return classes_; }
  int64_t num_clients() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  int64_t total_samples() const { return offsets_.back(); }
  int64_t size(int64_t k) const { return offsets_[k + 1] - offsets_[k]; }
  const int32_t* samples(int64_t k) const { return indices_.data() + offsets_[k]; }
  const int32_t* histogram_row(int64_t k) const { return histogram_.data() + k * classes_; }

  const std::vector<int64_t>& offsets() const { return offsets_; }
  const std::vector<int32_t>& indices() const { return indices_; }
  const std::vector<int32_t>& histogram() const { return histogram_; }  // [clients x classes]

  // Sum of all rows: the class sizes C_y the server sees.
  std::vector<int64_t> global_histogram() const;

 private:
  int classes_ = 0;
  std::vector<int64_t> offsets_{0};
  std::vector<int32_t> indices_;
  std::vector<int32_t> histogram_;
};

}  // namespace astraea
