// "focal": (1 - p_y)^gamma (-log p_y), which down-weights the examples a model already gets right
// (Lin et al., ICCV 2017; gamma = 2 there). gamma = 0 is cross-entropy, bit for bit.
#include "losses.hpp"

namespace astraea::losses {
namespace {

class Focal final : public TrainingLoss {
 public:
  explicit Focal(float gamma) : gamma_(gamma) {}
  std::string name() const override { return "focal"; }
  SoftmaxLoss configure(SoftmaxLoss base) const override {
    base.gamma = gamma_;
    return base;
  }

 private:
  float gamma_;
};

}  // namespace

const std::vector<ParamSpec> kFocalParams = {
    {"focal_gamma", 2.0, 0.0, 100.0, true, "focusing exponent gamma (0: cross-entropy)"}};

std::unique_ptr<TrainingLoss> make_focal(const ParamValues& p) {
  return std::make_unique<Focal>(static_cast<float>(p["focal_gamma"]));
}

}  // namespace astraea::losses
