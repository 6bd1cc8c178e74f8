// "ce": softmax cross-entropy, the papers' and FedAvg's loss.
#include "losses.hpp"

namespace astraea::losses {
namespace {

class CrossEntropy final : public TrainingLoss {
 public:
  std::string name() const override { return "ce"; }
  SoftmaxLoss configure(SoftmaxLoss base) const override { return base; }
};

}  // namespace

std::unique_ptr<TrainingLoss> make_cross_entropy(const ParamValues&) { return std::make_unique<CrossEntropy>(); }

}  // namespace astraea::losses
