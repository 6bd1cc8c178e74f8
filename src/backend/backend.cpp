// Backend's default methods: uploads staged through one plain buffer (each upload is done when it
// returns); no graphs and no library convolution (supports_graphs() and has_library_conv() are
// false, so callers never ask; these say so if they do).
#include <vector>

#include "astraea/backend/backend.hpp"
#include "astraea/core/error.hpp"

namespace astraea {
namespace {

class PlainUploadStage final : public UploadStage {
 public:
  PlainUploadStage(Backend& backend, size_t bytes) : backend_(backend), buffer_(bytes) {}
  void* next() override { return buffer_.data(); }
  void upload(void* dst, size_t bytes) override { backend_.upload(dst, buffer_.data(), bytes); }

 private:
  Backend& backend_;
  std::vector<unsigned char> buffer_;
};

}  // namespace

std::unique_ptr<UploadStage> Backend::make_upload_stage(size_t bytes) {
  return std::make_unique<PlainUploadStage>(*this, bytes);
}

void Backend::begin_capture() { ASTRAEA_FAIL("{} cannot record graphs (train.cuda_graphs)", name()); }
int Backend::end_capture() { ASTRAEA_FAIL("{} cannot record graphs (train.cuda_graphs)", name()); }
void Backend::replay(int) { ASTRAEA_FAIL("{} cannot record graphs (train.cuda_graphs)", name()); }

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
