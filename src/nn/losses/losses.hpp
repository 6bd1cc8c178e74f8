// The loss family's entries (private to src/nn/losses): each file defines its factory and its
// parameters, loss_registry.cpp lists them.
#pragma once

#include <vector>

#include "astraea/nn/losses.hpp"

namespace astraea::losses {

std::unique_ptr<TrainingLoss> make_cross_entropy(const ParamValues&);
std::unique_ptr<TrainingLoss> make_focal(const ParamValues&);
extern const std::vector<ParamSpec> kFocalParams;
std::unique_ptr<TrainingLoss> make_fedlc(const ParamValues&);
extern const std::vector<ParamSpec> kFedLcParams;
std::unique_ptr<TrainingLoss> make_fedrs(const ParamValues&);
extern const std::vector<ParamSpec> kFedRsParams;

// A loss whose only change to cross-entropy is a per-client, per-class table built on the host.
class TableLoss : public TrainingLoss {
 public:
  void prepare(Backend& backend, const int32_t* histograms, int64_t clients, int classes) override;

 protected:
  // The table's value for a class the client holds `count` samples of.
  virtual float entry(int32_t count) const = 0;
  DeviceArray<float> table_;
};

}  // namespace astraea::losses
