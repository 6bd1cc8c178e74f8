// IDX and CIFAR-10 readers. Validation order: magic, header, payload size, label range.
#include "astraea/data/readers.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <filesystem>

#include "astraea/core/error.hpp"
#include "byte_source.hpp"

namespace astraea {
namespace {

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

struct IdxTensor {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> payload;
};

// IDX header: 0x00 0x00 <type 0x08 = ubyte> <ndims>, then ndims big-endian uint32 sizes. Each
// size must fit an int, their product (checked) must fit in memory, and the payload must be
// exactly that long: the stream is inflated only that far (plus one byte to see what follows).
IdxTensor read_idx_tensor(const std::string& path, int expected_dims, const char* what) {
  IdxTensor t;
  GzReader in(path);
  const std::vector<uint8_t> b = in.read(4 + 4 * uint64_t(expected_dims));
  if (b.size() < 4) ASTRAEA_FAIL("{}: not an IDX file (only {} bytes)", path, b.size());
  if (b[0] != 0 || b[1] != 0) {
    ASTRAEA_FAIL("{}: bad IDX magic 0x{:02x}{:02x}{:02x}{:02x} (expected 0x0000080{} for {})", path, b[0], b[1],
                 b[2], b[3], expected_dims, what);
  }
  if (b[2] != 0x08) ASTRAEA_FAIL("{}: IDX element type 0x{:02x} is not unsigned byte (0x08)", path, b[2]);
  if (b[3] != expected_dims) {
    ASTRAEA_FAIL("{}: IDX file has {} dimensions, expected {} for {}", path, b[3], expected_dims, what);
  }
  const size_t header = 4 + 4 * size_t(expected_dims);
  if (b.size() < header) ASTRAEA_FAIL("{}: truncated IDX header ({} of {} bytes)", path, b.size(), header);
  uint64_t count = 1;
  for (int d = 0; d < expected_dims; ++d) {
    t.dims.push_back(read_be32(&b[4 + 4 * d]));
    if (t.dims.back() > uint32_t(INT32_MAX)) {
      ASTRAEA_FAIL("{}: IDX dimension {} is {}, beyond what a data set can hold", path, d, t.dims.back());
    }
    if (__builtin_mul_overflow(count, uint64_t(t.dims.back()), &count)) {
      ASTRAEA_FAIL("{}: IDX dimensions multiply past 2^64 bytes", path);
    }
  }
  if (count > memory_limit_bytes()) {
    ASTRAEA_FAIL("{}: the header promises {} bytes of {}, more than this machine's memory", path, count, what);
  }
  t.payload = in.read(count + 1);
  const uint64_t have = t.payload.size();
  if (have < count) ASTRAEA_FAIL("{}: truncated: header promises {} bytes of {}, file holds {}", path, count, what, have);
  if (have > count) ASTRAEA_FAIL("{}: unexpected bytes after the {} {}", path, t.dims[0], what);
  return t;
}

void check_labels(Dataset& d, const std::string& where, int classes) {
  if (d.n == 0) ASTRAEA_FAIL("{}: empty data set (0 samples)", where);
  const int max_label = *std::max_element(d.labels.begin(), d.labels.end());
  const int min_label = *std::min_element(d.labels.begin(), d.labels.end());
  if (min_label < 0) ASTRAEA_FAIL("{}: negative label {}", where, min_label);
  if (classes > 0) {
    if (max_label >= classes) {
      const auto at = std::find(d.labels.begin(), d.labels.end(), max_label) - d.labels.begin();
      ASTRAEA_FAIL("{}: label {} of sample {} out of range (the data set has {} classes)", where, max_label, at,
                   classes);
    }
    d.classes = classes;
  } else {
    d.classes = max_label + 1;
  }
}

}  // namespace

Dataset read_idx(const std::string& images_path, const std::string& labels_path, int classes) {
  IdxTensor images = read_idx_tensor(images_path, 3, "images");
  IdxTensor labels = read_idx_tensor(labels_path, 1, "labels");
  if (images.dims[0] != labels.dims[0]) {
    ASTRAEA_FAIL("{} holds {} images but {} holds {} labels", images_path, images.dims[0], labels_path,
                 labels.dims[0]);
  }
  Dataset d;
  d.name = images_path;
  d.n = images.dims[0];
  d.channels = 1;
  d.height = static_cast<int>(images.dims[1]);
  d.width = static_cast<int>(images.dims[2]);
  if (d.n > 0 && (d.height == 0 || d.width == 0)) ASTRAEA_FAIL("{}: images of size {}x{}", images_path, d.height, d.width);
  d.images = std::move(images.payload);
  d.labels.assign(labels.payload.begin(), labels.payload.end());
  check_labels(d, labels_path, classes);
  return d;
}

Dataset read_cifar10_batch(const std::string& path) {
  constexpr size_t kRecord = 1 + 3 * 32 * 32;
  // The largest CIFAR batch file is 10,000 records; a few times that is plenty.
  std::vector<uint8_t> bytes = read_all_bytes(path, 64 * 10000 * kRecord);
  if (bytes.empty()) ASTRAEA_FAIL("{}: empty file", path);
  if (bytes.size() % kRecord != 0) {
    ASTRAEA_FAIL("{}: truncated: {} bytes is not a whole number of {}-byte CIFAR-10 records ({} whole, {} left over)",
                 path, bytes.size(), kRecord, bytes.size() / kRecord, bytes.size() % kRecord);
  }
  Dataset d;
  d.name = path;
  d.n = static_cast<int64_t>(bytes.size() / kRecord);
  d.channels = 3;
  d.height = 32;
  d.width = 32;
  d.images.resize(d.n * d.sample_bytes());
  d.labels.resize(d.n);
  for (int64_t i = 0; i < d.n; ++i) {
    const uint8_t* rec = bytes.data() + i * kRecord;
    d.labels[i] = rec[0];
    std::copy(rec + 1, rec + kRecord, d.images.begin() + i * d.sample_bytes());
  }
  check_labels(d, path, 10);
  return d;
}

Dataset read_cifar10(const std::string& dir, bool train) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) ASTRAEA_FAIL("{}: not a directory (expected the CIFAR-10 binary batches)", dir);
  std::vector<std::string> files;
  if (train) {
    for (int i = 1; i <= 5; ++i) files.push_back((fs::path(dir) / fmt::format("data_batch_{}.bin", i)).string());
  } else {
    files.push_back((fs::path(dir) / "test_batch.bin").string());
  }
  Dataset all;
  for (const auto& f : files) {
    if (!fs::exists(f)) ASTRAEA_FAIL("{}: missing CIFAR-10 batch file", f);
    Dataset part = read_cifar10_batch(f);
    if (all.n == 0) {
      all = std::move(part);
      all.name = dir;
      continue;
    }
    all.images.insert(all.images.end(), part.images.begin(), part.images.end());
    all.labels.insert(all.labels.end(), part.labels.begin(), part.labels.end());
    all.n += part.n;
  }
  return all;
}

}  // namespace astraea
