#include "losses.hpp"

namespace astraea {

const Registry<LossFactory>& loss_registry() {
  static const Registry<LossFactory> r(
      "loss",
      {{"ce", "cross-entropy", losses::make_cross_entropy},
       {"focal", "focal loss, (1 - p_y)^gamma (-log p_y) (Lin et al., ICCV 2017)", losses::make_focal,
        losses::kFocalParams},
       {"fedlc", "FedLC's calibrated loss: logits minus tau n_y^(-1/4) of the client's counts (Zhang et al., ICML 2022)",
        losses::make_fedlc, losses::kFedLcParams},
       {"fedrs", "FedRS's restricted softmax: logits of classes the client lacks scaled by alpha (Li & Zhan, KDD 2021)",
        losses::make_fedrs, losses::kFedRsParams}});
  return r;
}

std::unique_ptr<TrainingLoss> make_loss(const std::string& name, const std::map<std::string, double>& params) {
  const auto& entry = loss_registry().at(name, "algorithm.loss");
  return entry.make(ParamValues(params, entry.params));
}

namespace losses {

void TableLoss::prepare(Backend& backend, const int32_t* histograms, int64_t clients, int classes) {
  std::vector<float> host(size_t(clients) * classes);
  for (size_t i = 0; i < host.size(); ++i) host[i] = entry(histograms[i]);
  table_ = DeviceArray<float>(backend, host.size());
  table_.upload(host.data(), host.size());
}

}  // namespace losses
}  // namespace astraea
