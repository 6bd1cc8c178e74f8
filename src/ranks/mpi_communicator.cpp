// MPI ranks (built when CMake finds MPI). Sums are a reduce to rank 0 and a broadcast, so every
// rank holds the same bits (MPI_Allreduce does not promise that). Device memory is summed by NCCL
// on the devices when the build has it (one rank per GPU; its id broadcast over MPI), else staged
// through the host; ASTRAEA_NCCL=0 forces the staged path.
#include <mpi.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "astraea/backend/backend.hpp"
#include "astraea/backend/device_all_reduce.hpp"
#include "astraea/core/error.hpp"
#include "astraea/ranks/communicator.hpp"

namespace astraea {
namespace {

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  ASTRAEA_FAIL("{}: {}", what, std::string(text, len));
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
      std::atexit([] {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Finalize();
      });
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return "MPI rank " + std::to_string(rank_) + " of " + std::to_string(size_); }

  void sum(Backend& backend, float* data, size_t n) override {
    if (backend.is_device() && use_device_reduce()) {
      if (!device_reduce_) {
        // Collective: rank 0 makes the id, every rank joins with it.
        std::vector<uint8_t> id = rank_ == 0 ? make_device_all_reduce_id() : std::vector<uint8_t>();
        uint64_t bytes = id.size();
        check(MPI_Bcast(&bytes, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
        id.resize(bytes);
        check(MPI_Bcast(id.data(), static_cast<int>(bytes), MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
        device_reduce_ = make_device_all_reduce(backend, id, rank_, size_);
        if (rank_ == 0) spdlog::info("ranks sum device buffers with NCCL ({} ranks)", size_);
      }
      device_reduce_->sum(data, n);
    } else if (backend.is_device()) {
      host_.resize(n);
      backend.download(host_.data(), data, n * sizeof(float));
      reduce(host_.data(), n, MPI_FLOAT);
      backend.upload(data, host_.data(), n * sizeof(float));
    } else {
      reduce(data, n, MPI_FLOAT);
    }
  }
  void sum(double* data, size_t n) override { reduce(data, n, MPI_DOUBLE); }
  bool any(bool flag) override {
    int in = flag ? 1 : 0, out = 0;
    check(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
    return out != 0;
  }

 private:
  template <typename T>
  void reduce(T* data, size_t n, MPI_Datatype type) {
    constexpr size_t kChunk = size_t(1) << 28;  // MPI counts are int
    for (size_t at = 0; at < n; at += kChunk) {
      const int count = static_cast<int>(std::min(kChunk, n - at));
      T* p = data + at;
      check(MPI_Reduce(rank_ == 0 ? MPI_IN_PLACE : p, rank_ == 0 ? p : nullptr, count, type, MPI_SUM, 0, MPI_COMM_WORLD),
            "MPI_Reduce");
      check(MPI_Bcast(p, count, type, 0, MPI_COMM_WORLD), "MPI_Bcast");
    }
  }

  static bool use_device_reduce() {
    const char* v = std::getenv("ASTRAEA_NCCL");
    return device_all_reduce_available() && !(v && std::string(v) == "0");
  }

  int rank_ = 0, size_ = 1;
  std::vector<float> host_;
  std::unique_ptr<DeviceAllReduce> device_reduce_;
};

// Set by Open MPI's mpirun, MPICH/Hydra (PMI), PMIx launchers and Slurm's srun.
bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"}) {
    if (std::getenv(v)) return true;
  }
  return false;
}

}  // namespace

void abort_ranks(int code) {
  int initialized = 0, finalized = 0, size = 1;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

std::unique_ptr<Communicator> make_communicator() {
  if (!launched_by_mpi()) return make_local_communicator();
  return std::make_unique<MpiCommunicator>();
}

}  // namespace astraea
