#include "astraea/nn/layer.hpp"

namespace astraea {

int64_t Layer::param_count() const {
  int64_t n = 0;
  for (const auto& t : params_) n += t.size;
  return n;
}

void Layer::add_param(const std::string& suffix, std::vector<int64_t> shape, int64_t fan_in) {
  ParamTensor t;
  t.name = suffix;
  t.shape = std::move(shape);
  t.size = 1;
  for (int64_t d : t.shape) t.size *= d;
  t.fan_in = fan_in;
  params_.push_back(std::move(t));
}

void Layer::place(int index, int64_t offset) {
  index_ = index;
  for (auto& t : params_) {
    t.name = std::to_string(index) + "." + t.name;
    t.offset = offset;
    offset += t.size;
  }
}

}  // namespace astraea
