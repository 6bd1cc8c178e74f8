// Writing outputs without losing work. A whole file (model, summary, checkpoint, tables) goes to a
// temporary name beside it, is flushed to disk and renamed over the old one: a crash, a kill or a
// full disk leaves either the old file or the complete new one, never a truncated mix. A log
// (rounds.jsonl) is appended a line at a time with every write checked. Every failure is an error
// that names the file and the reason (ENOSPC, EIO, ...).
#pragma once

#include <cstddef>
#include <string>

namespace astraea {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // opens "<path>.partial"
  ~AtomicFile();                          // removes the temporary unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t bytes);
  void write(const std::string& text) { write(text.data(), text.size()); }
  // fsync, close, rename over `path`, fsync the directory: the new file is durable and complete.
  void commit();

 private:
  std::string path_, partial_;
  int fd_ = -1;
};

// `text` as the whole of `path`, atomically (AtomicFile).
void write_file_atomically(const std::string& path, const std::string& text);

class AppendFile {
 public:
  // Truncates the file unless `append`.
  AppendFile(std::string path, bool append);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  void append(const std::string& text);  // one write(2), checked; retried on short writes
  void sync();                            // fsync

 private:
  std::string path_;
  int fd_ = -1;
};

// An exclusive hold on an output directory while a run writes it (flock on DIR/.astraea.lock, which
// records the holder's pid): a second run into the same directory is refused instead of mixing its
// files with the first's. Released when the object dies, or when the process does.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

// Creates `dir` (and parents) or throws naming it.
void create_output_directory(const std::string& dir);

}  // namespace astraea
