// Inverted dropout: PyTorch nn.Dropout. The mask is a counter-based draw recomputed in backward.
#include "astraea/core/error.hpp"
#include "astraea/nn/layer.hpp"

namespace astraea {
namespace {

class DropoutLayer final : public Layer {
 public:
  DropoutLayer(TensorShape in, float rate) : Layer(in, in), rate_(rate) {
    ASTRAEA_REQUIRE(rate >= 0.0f && rate < 1.0f, "dropout rate {} outside [0, 1)", rate);
  }
  std::string kind() const override { return "dropout"; }

  void forward(const LayerPass& p, const float* x, float* y) const override {
    const int64_t per = int64_t(p.batch) * in_.size();
    if (!p.training || rate_ == 0.0f) {
      p.backend->copy(y, x, sizeof(float) * per * p.replicas);
      return;
    }
    p.backend->launch(make(p, x, y), p.replicas, Dropout::quads(per));
  }
  void backward(const LayerPass& p, const float*, const float*, const float* dy, float* dx,
                const GradTarget&) const override {
    if (!dx) return;
    const int64_t per = int64_t(p.batch) * in_.size();
    if (!p.training || rate_ == 0.0f) {  // the forward was the identity: so is its gradient
      p.backend->copy(dx, dy, sizeof(float) * per * p.replicas);
      return;
    }
    p.backend->launch(make(p, dy, dx), p.replicas, Dropout::quads(per));  // same mask, same scale
  }

 private:
  Dropout make(const LayerPass& p, const float* in, float* out) const {
    // The layer's index keeps two dropout layers' masks independent; the round, rounds'.
    const uint32_t salt = (p.round << 8) + static_cast<uint32_t>(index_);
    return Dropout{in, out, p.replica_key, p.seed, p.step, salt, int64_t(p.batch) * in_.size(), rate_};
  }
  float rate_;
};

}  // namespace

std::unique_ptr<Layer> make_dropout(TensorShape in, float rate) { return std::make_unique<DropoutLayer>(in, rate); }

}  // namespace astraea
