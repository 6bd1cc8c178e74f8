// "fedrs": FedRS's restricted softmax (Li & Zhan, KDD 2021): the logits of classes the training
// client holds no sample of are scaled by alpha in [0, 1] (here on the logits, bias included; the
// paper scales the classifier's weight vectors). alpha = 1 is cross-entropy, bit for bit.
#include "losses.hpp"

namespace astraea::losses {
namespace {

class FedRs final : public TableLoss {
 public:
  explicit FedRs(float alpha) : alpha_(alpha) {}
  std::string name() const override { return "fedrs"; }
  SoftmaxLoss configure(SoftmaxLoss base) const override {
    base.scale = table_.data();
    return base;
  }

 protected:
  float entry(int32_t count) const override { return count > 0 ? 1.0f : alpha_; }

 private:
  float alpha_;
};

}  // namespace

const std::vector<ParamSpec> kFedRsParams = {
    {"fedrs_alpha", 0.5, 0.0, 1.0, true, "scale of the logits of classes the client lacks (1: cross-entropy)"}};

std::unique_ptr<TrainingLoss> make_fedrs(const ParamValues& p) {
  return std::make_unique<FedRs>(static_cast<float>(p["fedrs_alpha"]));
}

}  // namespace astraea::losses
