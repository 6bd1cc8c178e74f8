// The backend interface (ggml-style): library-shaped primitives that both the CPU backend (always
// built; OpenBLAS + plain loops) and the CUDA backend (cuBLAS + kernels) implement. The layer code
// that computes GEMM descriptors and functor arguments is shared and tested on the CPU.
//
// Element-wise work is expressed as functors (kernels/*.hpp) with an ASTRAEA_HD
// operator()(int64_t row, int64_t col); `launch(f, rows, cols)` runs it over that index space in
// any order (each call writes its own outputs). The ops a backend runs are listed once, in
// kernels/op_list.hpp; this interface includes nothing from nn/, fl/ or data/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "astraea/kernels/op_list.hpp"

namespace astraea {

enum class Trans { kNo, kYes };

// Host staging for small uploads made every step (sample ids, step records). On a GPU its buffers
// are page-locked, so an upload is an asynchronous copy, and there are two, so filling the next
// never overwrites one a copy may still be reading; on the CPU it is one plain buffer.
class UploadStage {
 public:
  virtual ~UploadStage() = default;
  // The buffer to fill next (on a GPU: waits until the copy that last read it has finished).
  virtual void* next() = 0;
  // Copies the first `bytes` of the buffer next() returned to `dst` in backend memory.
  virtual void upload(void* dst, size_t bytes) = 0;
};

// A convolution for the device's library (cuDNN), run replica by replica over NCHW tensors:
// replica r's input at x + r * batch * in_c * in_h * in_w, its weights [out_c, in_c, kh, kw] at
// w + r * w_stride, its output at y + r * batch * out_c * out_h * out_w.
struct LibraryConv {
  ConvGeometry g;
  int out_c = 1;
  int replicas = 1, batch = 1;
  int64_t input_floats() const { return int64_t(batch) * g.in_pixels(); }  // one replica's
  int64_t output_floats() const { return int64_t(batch) * out_c * g.out_positions(); }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // True when memory from allocate() is not host-addressable (copy with upload/download).
  virtual bool is_device() const = 0;
  // Independent lanes of work the caller may run at once, each with its own workspace: the CPU
  // backend's threads; 1 on a GPU (its parallelism is inside each call).
  virtual int lanes() const = 0;

  // Bytes the caller may still allocate (device: cudaMemGetInfo's free; host: physical memory).
  virtual size_t memory_available() const = 0;
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* p) noexcept = 0;
  virtual void upload(void* dst, const void* src, size_t bytes) = 0;
  virtual void download(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  virtual void zero(void* dst, size_t bytes) = 0;
  virtual void synchronize() = 0;
  // A stage of `bytes` per buffer for uploads from the host (default: one plain buffer).
  virtual std::unique_ptr<UploadStage> make_upload_stage(size_t bytes);
  // Lets GEMMs round their inputs to TF32 on tensor cores (10 mantissa bits: about 1e-3 relative
  // per product, several times faster). Returns whether the backend does what was asked (a
  // backend without TF32 honours only `false`).
  virtual bool set_tf32(bool on) { return !on; }

  // Recording a run of launches once and replaying it (CUDA Graphs, train.cuda_graphs): between
  // begin_capture() and end_capture() launches are recorded, not run; replay(graph) runs them, with
  // the arguments they were recorded with. Backends without graphs say false and are never asked.
  virtual bool supports_graphs() const { return false; }
  virtual void begin_capture();
  virtual int end_capture();
  virtual void replay(int graph);
  virtual void drop_graphs() {}  // every recorded graph

  // Convolution by the device's library (train.conv = "cudnn"); backends without one say false
  // and are never asked. y = conv(x, w); dx = the input gradient from dy; dw = alpha * the weight
  // gradient + beta * dw.
  virtual bool has_library_conv() const { return false; }
  virtual void conv_forward(const LibraryConv& c, const float* x, const float* w, int64_t w_stride, float* y);
  virtual void conv_backward_data(const LibraryConv& c, const float* dy, const float* w, int64_t w_stride, float* dx);
  virtual void conv_backward_filter(const LibraryConv& c, const float* x, const float* dy, float* dw, int64_t dw_stride,
                                    float alpha, float beta);

  // C_b = alpha * op(A_b) op(B_b) + beta * C_b for b < batch, column-major, exactly
  // cublasSgemmStridedBatched's argument order and meaning (a stride of 0 shares an operand).
  virtual void gemm_strided_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a, int lda,
                                    int64_t stride_a, const float* b, int ldb, int64_t stride_b, float beta, float* c,
                                    int ldc, int64_t stride_c, int batch) = 0;

#define ASTRAEA_DECLARE_LAUNCH(F) virtual void launch(const F& f, int64_t rows, int64_t cols) = 0;
  ASTRAEA_OPS(ASTRAEA_DECLARE_LAUNCH)
#undef ASTRAEA_DECLARE_LAUNCH
};

// "cpu", "cuda" or "auto" (CUDA when a device exists, else CPU). `threads` = 0: all cores.
// Throws naming --backend when the choice cannot be honoured.
std::unique_ptr<Backend> make_backend(const std::string& name, int threads = 0);

// RAII owner of backend memory holding `count` elements of T. Move-only.
template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(Backend& backend, size_t count)
      : backend_(&backend), count_(count), data_(count ? static_cast<T*>(backend.allocate(count * sizeof(T))) : nullptr) {}
  ~DeviceArray() { reset(); }
  DeviceArray(DeviceArray&& o) noexcept : backend_(o.backend_), count_(o.count_), data_(o.data_) {
    o.data_ = nullptr;
    o.count_ = 0;
  }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      reset();
      backend_ = o.backend_;
      count_ = o.count_;
      data_ = o.data_;
      o.data_ = nullptr;
      o.count_ = 0;
    }
    return *this;
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return count_; }
  size_t bytes() const { return count_ * sizeof(T); }
  void upload(const T* src, size_t count) { backend_->upload(data_, src, count * sizeof(T)); }
  void download(T* dst, size_t count) const { backend_->download(dst, data_, count * sizeof(T)); }

 private:
  void reset() noexcept {
    if (data_) backend_->deallocate(data_);
    data_ = nullptr;
    count_ = 0;
  }
  Backend* backend_ = nullptr;
  size_t count_ = 0;
  T* data_ = nullptr;
};

}  // namespace astraea
