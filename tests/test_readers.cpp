// IDX and CIFAR-10 readers: crafted files, well-formed and each kind of malformed.
#include <filesystem>
#include <fstream>

#include "astraea/data/readers.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

using testing::ScratchDir;
using testing::write_bytes;
using testing::write_gzip;

void put_be32(std::vector<uint8_t>& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

std::vector<uint8_t> idx_images(uint32_t n, uint32_t h, uint32_t w) {
  std::vector<uint8_t> b = {0, 0, 8, 3};
  put_be32(b, n);
  put_be32(b, h);
  put_be32(b, w);
  for (uint32_t i = 0; i < n * h * w; ++i) b.push_back(static_cast<uint8_t>(i * 7));
  return b;
}

std::vector<uint8_t> idx_labels(const std::vector<uint8_t>& labels) {
  std::vector<uint8_t> b = {0, 0, 8, 1};
  put_be32(b, static_cast<uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

TEST(IdxReader, ReadsPlainAndGzipIdentically) {
  ScratchDir dir;
  const auto images = idx_images(5, 3, 4);
  const auto labels = idx_labels({0, 2, 1, 2, 0});
  write_bytes(dir.path("i"), images);
  write_bytes(dir.path("l"), labels);
  write_gzip(dir.path("i.gz"), images);
  write_gzip(dir.path("l.gz"), labels);
  const Dataset plain = read_idx(dir.path("i"), dir.path("l"));
  const Dataset gz = read_idx(dir.path("i.gz"), dir.path("l.gz"));
  EXPECT_EQ(plain.n, 5);
  EXPECT_EQ(plain.channels, 1);
  EXPECT_EQ(plain.height, 3);
  EXPECT_EQ(plain.width, 4);
  EXPECT_EQ(plain.classes, 3);
  EXPECT_EQ(plain.labels, (std::vector<int32_t>{0, 2, 1, 2, 0}));
  EXPECT_EQ(plain.image(1)[0], static_cast<uint8_t>(12 * 7));  // first pixel of the second image
  EXPECT_EQ(plain.images, gz.images);
  EXPECT_EQ(plain.labels, gz.labels);
  EXPECT_EQ(plain.class_histogram(), (std::vector<int64_t>{2, 1, 2}));
}

TEST(IdxReader, RejectsBadMagic) {
  ScratchDir dir;
  auto images = idx_images(2, 2, 2);
  images[3] = 1;  // claims one dimension
  write_bytes(dir.path("i"), images);
  write_bytes(dir.path("l"), idx_labels({0, 1}));
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("i"), dir.path("l")), dir.path("i"), "dimensions");
  auto swapped = idx_images(2, 2, 2);
  swapped[0] = 0x1f;  // not IDX at all
  write_bytes(dir.path("j"), swapped);
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("j"), dir.path("l")), dir.path("j"), "bad IDX magic");
  auto wrong_type = idx_images(2, 2, 2);
  wrong_type[2] = 0x0D;  // float elements
  write_bytes(dir.path("k"), wrong_type);
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("k"), dir.path("l")), dir.path("k"), "unsigned byte");
}

TEST(IdxReader, RejectsTruncatedAndOverlongFiles) {
  ScratchDir dir;
  auto images = idx_images(4, 2, 2);
  write_bytes(dir.path("l"), idx_labels({0, 1, 1, 0}));
  auto cut = images;
  cut.resize(cut.size() - 3);
  write_bytes(dir.path("cut"), cut);
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("cut"), dir.path("l")), dir.path("cut"), "truncated");
  write_bytes(dir.path("hdr"), std::vector<uint8_t>(images.begin(), images.begin() + 9));
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("hdr"), dir.path("l")), dir.path("hdr"), "truncated IDX header");
  auto longer = images;
  longer.push_back(1);
  write_bytes(dir.path("long"), longer);
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("long"), dir.path("l")), dir.path("long"), "unexpected bytes");
}

TEST(IdxReader, RejectsTruncatedGzipStream) {
  ScratchDir dir;
  write_gzip(dir.path("full.gz"), idx_images(50, 8, 8));
  std::vector<uint8_t> gz;
  {
    std::ifstream in(dir.path("full.gz"), std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), {});
  }
  gz.resize(gz.size() / 2);
  write_bytes(dir.path("half.gz"), gz);
  write_bytes(dir.path("l"), idx_labels(std::vector<uint8_t>(50, 1)));
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("half.gz"), dir.path("l")), dir.path("half.gz"));
}

TEST(IdxReader, RejectsCountMismatchRangeAndEmpty) {
  ScratchDir dir;
  write_bytes(dir.path("i"), idx_images(3, 2, 2));
  write_bytes(dir.path("l2"), idx_labels({0, 1}));
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("i"), dir.path("l2")), "3 images", "2 labels");
  write_bytes(dir.path("l3"), idx_labels({0, 1, 9}));
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("i"), dir.path("l3"), 5), dir.path("l3"), "label 9", "out of range");
  write_bytes(dir.path("i0"), idx_images(0, 2, 2));
  write_bytes(dir.path("l0"), idx_labels({}));
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("i0"), dir.path("l0")), "empty");
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("missing"), dir.path("l0")), dir.path("missing"), "cannot open");
}

std::vector<uint8_t> cifar_records(const std::vector<uint8_t>& labels) {
  std::vector<uint8_t> b;
  for (size_t i = 0; i < labels.size(); ++i) {
    b.push_back(labels[i]);
    for (int p = 0; p < 3072; ++p) b.push_back(static_cast<uint8_t>(i + p));
  }
  return b;
}

TEST(CifarReader, ReadsBatchesInOrder) {
  ScratchDir dir;
  for (int i = 1; i <= 5; ++i) write_bytes(dir.path("data_batch_" + std::to_string(i) + ".bin"), cifar_records({uint8_t(i), 3}));
  write_bytes(dir.path("test_batch.bin"), cifar_records({9}));
  const Dataset train = read_cifar10(dir.path(""), true);
  EXPECT_EQ(train.n, 10);
  EXPECT_EQ(train.channels, 3);
  EXPECT_EQ(train.height, 32);
  EXPECT_EQ(train.classes, 10);
  EXPECT_EQ(train.labels[0], 1);
  EXPECT_EQ(train.labels[8], 5);
  EXPECT_EQ(train.image(1)[5], static_cast<uint8_t>(1 + 5));
  const Dataset test = read_cifar10(dir.path(""), false);
  EXPECT_EQ(test.n, 1);
  EXPECT_EQ(test.labels[0], 9);
}

TEST(CifarReader, RejectsMalformedBatches) {
  ScratchDir dir;
  auto rec = cifar_records({1, 2});
  rec.pop_back();
  write_bytes(dir.path("cut.bin"), rec);
  EXPECT_ERROR_MENTIONS(read_cifar10_batch(dir.path("cut.bin")), dir.path("cut.bin"), "truncated");
  write_bytes(dir.path("bad.bin"), cifar_records({1, 12}));
  EXPECT_ERROR_MENTIONS(read_cifar10_batch(dir.path("bad.bin")), dir.path("bad.bin"), "label 12");
  write_bytes(dir.path("empty.bin"), {});
  EXPECT_ERROR_MENTIONS(read_cifar10_batch(dir.path("empty.bin")), "empty");
  EXPECT_ERROR_MENTIONS(read_cifar10(dir.path(""), true), "data_batch_1.bin", "missing");
}

TEST(IdxReader, ReadsDebianFashionMnist) {
  const std::string root = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(root + "train-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const Dataset test = read_idx(root + "t10k-images-idx3-ubyte.gz", root + "t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(test.n, 10000);
  EXPECT_EQ(test.height, 28);
  EXPECT_EQ(test.width, 28);
  EXPECT_EQ(test.classes, 10);
  for (int64_t c : test.class_histogram()) EXPECT_EQ(c, 1000);
}

}  // namespace
}  // namespace astraea
