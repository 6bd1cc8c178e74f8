// The named models. Each is the layer list of an equivalent PyTorch nn.Sequential.
#include "astraea/core/error.hpp"
#include "astraea/core/registry.hpp"
#include "astraea/nn/model.hpp"

namespace astraea {
namespace {

// Appends layers while tracking the running shape.
class Builder {
 public:
  explicit Builder(TensorShape in) : shape_(in) {}
  Builder& conv(int channels, int kernel, int stride, bool same = false) {
    return add(make_conv2d(shape_, channels, kernel, stride, same));
  }
  Builder& dense(int features) { return add(make_dense(shape_, features)); }
  Builder& relu() { return add(make_relu(shape_)); }
  Builder& dropout(float rate) { return add(make_dropout(shape_, rate)); }
  Builder& pool(int size) { return add(make_max_pool(shape_, size)); }
  Builder& flatten() { return add(make_flatten(shape_)); }
  std::vector<std::unique_ptr<Layer>> take() { return std::move(layers_); }

 private:
  Builder& add(std::unique_ptr<Layer> l) {
    shape_ = l->output_shape();
    layers_.push_back(std::move(l));
    return *this;
  }
  TensorShape shape_;
  std::vector<std::unique_ptr<Layer>> layers_;
};

using Recipe = void (*)(Builder&, int classes);

const Registry<Recipe>& recipes() {
  static const Registry<Recipe> r(
      "model",
      {{"logreg", "flatten, dense (multinomial logistic regression)", [](Builder& b, int k) { b.flatten().dense(k); }},
       {"mlp", "McMahan's 2NN: dense 200, dense 200",
        [](Builder& b, int k) { b.flatten().dense(200).relu().dense(200).relu().dense(k); }},
       // 68,873 parameters at 28x28x1 and 47 classes.
       {"emnist_cnn", "the Astraea papers' EMNIST CNN",
        [](Builder& b, int k) {
          b.conv(12, 5, 2).relu().conv(18, 3, 2).relu().dropout(0.5f).conv(24, 2, 1).relu().flatten().dense(150).relu().dense(k);
        }},
       // 1,250,858 parameters at 32x32x3, 10 classes.
       {"cifar_cnn", "Keras cifar10_cnn, the papers' CINIC-10 model",
        [](Builder& b, int k) {
          b.conv(32, 3, 1, true).relu().conv(32, 3, 1).relu().pool(2).dropout(0.25f);
          b.conv(64, 3, 1, true).relu().conv(64, 3, 1).relu().pool(2).dropout(0.25f);
          b.flatten().dense(512).relu().dropout(0.5f).dense(k);
        }},
       // 1,626,442 parameters at 32x32x3, 10 classes.
       {"pfl_cnn", "pfl-research's CIFAR-10 CNN",
        [](Builder& b, int k) {
          b.conv(32, 3, 1).relu().conv(64, 3, 1).relu().pool(2).dropout(0.25f);
          b.flatten().dense(128).relu().dropout(0.5f).dense(k);
        }}});
  return r;
}

}  // namespace

std::vector<std::string> model_names() { return recipes().names(); }

std::unique_ptr<Model> make_model(const std::string& name, TensorShape input, int classes) {
  const Recipe recipe = recipes().at(name, "train.model").make;
  ASTRAEA_REQUIRE(classes >= 2, "model {}: {} classes", name, classes);
  Builder b(input);
  try {
    recipe(b, classes);
  } catch (const Error& e) {
    ASTRAEA_FAIL("train.model = \"{}\" does not fit {}x{}x{} inputs: {}", name, input.h, input.w, input.c, e.what());
  }
  return std::make_unique<Model>(name, input, classes, b.take());
}

}  // namespace astraea
