// The training pool and test set where the backend reads them: in place on the CPU, uploaded once
// on a device. The generated (augmented) images are replaced whenever the plan changes; the
// originals and the test set stay where they are, so evaluators keep their pools. Private to src/fl.
#pragma once

#include "astraea/backend/backend.hpp"
#include "astraea/data/augmentation.hpp"
#include "astraea/data/dataset.hpp"
#include "astraea/fl/federated_run.hpp"
#include "astraea/kernels/gather.hpp"

namespace astraea {

struct FederatedRun::DeviceData {
  DeviceData(Backend& be, const Dataset& train, const Dataset& test) {
    train_pool = upload(be, train, train_images, train_labels);
    test_pool = upload(be, test, test_images, test_labels);
  }
  // Points the training pool's generated part at `extra` (null or empty: none).
  void set_extra(Backend& be, const AugmentedData* extra) {
    extra_images = DeviceArray<uint8_t>();
    extra_labels = DeviceArray<int32_t>();
    train_pool.extra_images = nullptr;
    train_pool.extra_labels = nullptr;
    if (extra == nullptr || extra->labels.empty()) return;
    train_pool.extra_images = extra->images.data();
    train_pool.extra_labels = extra->labels.data();
    if (be.is_device()) {
      extra_images = DeviceArray<uint8_t>(be, extra->images.size());
      extra_images.upload(extra->images.data(), extra->images.size());
      extra_labels = DeviceArray<int32_t>(be, extra->labels.size());
      extra_labels.upload(extra->labels.data(), extra->labels.size());
      train_pool.extra_images = extra_images.data();
      train_pool.extra_labels = extra_labels.data();
    }
  }
  static SamplePool upload(Backend& be, const Dataset& d, DeviceArray<uint8_t>& images, DeviceArray<int32_t>& labels) {
    SamplePool pool{d.images.data(), d.labels.data(), d.n, nullptr, nullptr, d.channels, d.height, d.width};
    if (be.is_device()) {
      images = DeviceArray<uint8_t>(be, d.images.size());
      images.upload(d.images.data(), d.images.size());
      labels = DeviceArray<int32_t>(be, d.labels.size());
      labels.upload(d.labels.data(), d.labels.size());
      pool.base_images = images.data();
      pool.base_labels = labels.data();
    }
    return pool;
  }
  DeviceArray<uint8_t> train_images, test_images, extra_images;
  DeviceArray<int32_t> train_labels, test_labels, extra_labels;
  SamplePool train_pool{}, test_pool{};
};

}  // namespace astraea
