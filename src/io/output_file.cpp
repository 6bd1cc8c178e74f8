#include "astraea/io/output_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "astraea/core/error.hpp"

namespace astraea {
namespace {

void write_all(int fd, const void* data, size_t bytes, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd, p, bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      ASTRAEA_FAIL("{}: write failed ({})", path, std::strerror(errno));
    }
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

void sync_directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const int fd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // durability of the rename is best effort where directories cannot be opened
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), partial_(path_ + ".partial") {
  fd_ = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) ASTRAEA_FAIL("{}: cannot write ({})", partial_, std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(partial_.c_str());
  }
}

void AtomicFile::write(const void* data, size_t bytes) { write_all(fd_, data, bytes, partial_); }

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) ASTRAEA_FAIL("{}: cannot flush to disk ({})", partial_, std::strerror(errno));
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(partial_.c_str());
    ASTRAEA_FAIL("{}: write failed on close ({})", partial_, std::strerror(err));
  }
  if (std::rename(partial_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(partial_.c_str());
    ASTRAEA_FAIL("{}: cannot replace ({})", path_, std::strerror(err));
  }
  sync_directory_of(path_);
}

void write_file_atomically(const std::string& path, const std::string& text) {
  AtomicFile f(path);
  f.write(text);
  f.commit();
}

AppendFile::AppendFile(std::string path, bool append) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
  if (fd_ < 0) ASTRAEA_FAIL("{}: cannot write ({})", path_, std::strerror(errno));
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendFile::append(const std::string& text) { write_all(fd_, text.data(), text.size(), path_); }

void AppendFile::sync() {
  if (::fsync(fd_) != 0) ASTRAEA_FAIL("{}: cannot flush to disk ({})", path_, std::strerror(errno));
}

DirectoryLock::DirectoryLock(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / ".astraea.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) ASTRAEA_FAIL("{}: cannot create the lock file ({})", path, std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {0};
    const ssize_t n = ::pread(fd_, holder, sizeof(holder) - 1, 0);
    ::close(fd_);
    fd_ = -1;
    ASTRAEA_FAIL("--out {}: another run is writing this directory (pid {}); wait for it or choose another --out", dir,
                 n > 0 ? std::string(holder, size_t(n)) : std::string("unknown"));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0) write_all(fd_, pid.data(), pid.size(), path);
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

void create_output_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) ASTRAEA_FAIL("--out {}: cannot create the directory ({})", dir, ec.message());
  if (!std::filesystem::is_directory(dir)) ASTRAEA_FAIL("--out {}: not a directory", dir);
}

}  // namespace astraea
