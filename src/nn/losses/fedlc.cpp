// "fedlc": FedLC's logit calibration (Zhang et al., ICML 2022): cross-entropy over
// z_k - tau n_k^(-1/4), n_k the training client's count of class k, which pushes down the logits of
// classes the client holds few of (a class it lacks counts as 1e-8, as in public implementations:
// a shift of 100 tau). tau = 0 is cross-entropy, bit for bit.
#include <cmath>

#include "losses.hpp"

namespace astraea::losses {
namespace {

class FedLc final : public TableLoss {
 public:
  explicit FedLc(double tau) : tau_(tau) {}
  std::string name() const override { return "fedlc"; }
  SoftmaxLoss configure(SoftmaxLoss base) const override {
    base.offset = table_.data();
    return base;
  }

 protected:
  float entry(int32_t count) const override {
    return static_cast<float>(-tau_ * std::pow(std::max(double(count), 1e-8), -0.25));
  }

 private:
  double tau_;
};

}  // namespace

const std::vector<ParamSpec> kFedLcParams = {
    {"fedlc_tau", 1.0, 0.0, 1e6, true, "calibration strength tau (0: cross-entropy)"}};

std::unique_ptr<TrainingLoss> make_fedlc(const ParamValues& p) { return std::make_unique<FedLc>(p["fedlc_tau"]); }

}  // namespace astraea::losses
