// Backend's default methods: a backend without a library convolution says so (has_library_conv()
// is false, and FederatedRun refuses train.conv = "cudnn" on it) and is never asked for one.
#include "astraea/backend/backend.hpp"
#include "astraea/core/error.hpp"

namespace astraea {

void Backend::conv_forward(const LibraryConv&, const float*, const float*, int64_t, float*) {
  ASTRAEA_FAIL("{} has no library convolution (train.conv = \"cudnn\" needs the cuda backend)", name());
}
void Backend::conv_backward_data(const LibraryConv&, const float*, const float*, int64_t, float*) {
  ASTRAEA_FAIL("{} has no library convolution (train.conv = \"cudnn\" needs the cuda backend)", name());
}
void Backend::conv_backward_filter(const LibraryConv&, const float*, const float*, float*, int64_t, float, float) {
  ASTRAEA_FAIL("{} has no library convolution (train.conv = \"cudnn\" needs the cuda backend)", name());
}

}  // namespace astraea
