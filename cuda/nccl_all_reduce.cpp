// The device all-reduce over NCCL: one communicator per rank, on the CUDA backend's stream, summing
// in place. NCCL's ring all-reduce reduces each chunk once and then broadcasts it, so every rank
// ends with the same bits.
#include <nccl.h>

#include <cstring>
#include <string>

#include "astraea/backend/device_all_reduce.hpp"
#include "astraea/core/error.hpp"
#include "cuda_check.hpp"
#include "cuda_stream.hpp"

namespace astraea {
namespace {

void check(ncclResult_t r, const char* call) {
  if (r != ncclSuccess) ASTRAEA_FAIL("{}: {} (NCCL {})", call, ncclGetErrorString(r), int(r));
}

class NcclAllReduce final : public DeviceAllReduce {
 public:
  NcclAllReduce(Backend& backend, const ncclUniqueId& id, int rank, int size) : stream_(cuda_stream_of(backend)) {
    check(ncclCommInitRank(&comm_, size, id, rank), "ncclCommInitRank");
  }
  ~NcclAllReduce() override { ncclCommDestroy(comm_); }
  NcclAllReduce(const NcclAllReduce&) = delete;
  NcclAllReduce& operator=(const NcclAllReduce&) = delete;

  void sum(float* data, size_t n) override {
    check(ncclAllReduce(data, data, n, ncclFloat, ncclSum, comm_, stream_), "ncclAllReduce");
  }

 private:
  cudaStream_t stream_;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

bool device_all_reduce_available() { return true; }

std::vector<uint8_t> make_device_all_reduce_id() {
  ncclUniqueId id;
  check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  std::vector<uint8_t> bytes(sizeof(id));
  std::memcpy(bytes.data(), &id, sizeof(id));
  return bytes;
}

std::unique_ptr<DeviceAllReduce> make_device_all_reduce(Backend& backend, const std::vector<uint8_t>& id, int rank,
                                                        int size) {
  ASTRAEA_REQUIRE(id.size() == sizeof(ncclUniqueId), "device all-reduce id of {} bytes, NCCL's has {}", id.size(),
                  sizeof(ncclUniqueId));
  ncclUniqueId nccl_id;
  std::memcpy(&nccl_id, id.data(), sizeof(nccl_id));
  return std::make_unique<NcclAllReduce>(backend, nccl_id, rank, size);
}

}  // namespace astraea
