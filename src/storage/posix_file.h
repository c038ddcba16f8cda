// Thin, checked wrappers over the POSIX calls the WAL and snapshot files need (open, write,
// fdatasync, rename, directory fsync). Every failure throws StorageError(io) with the call,
// the path and errno's text, so a full disk or a read-only mount is reported, not ignored.
// Internal to faultline_storage.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace faultline::storage {

// Owns one file descriptor; closes it on destruction.
class FileHandle {
 public:
  FileHandle() = default;
  FileHandle(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  ~FileHandle();
  FileHandle(FileHandle&& other) noexcept;
  FileHandle& operator=(FileHandle&& other) noexcept;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  // Opens with open(2) flags (O_CLOEXEC added); mode applies when O_CREAT is given.
  static FileHandle open(const std::filesystem::path& path, int flags, unsigned mode = 0644);

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }

  // Writes every byte (retrying short writes and EINTR).
  void write_all(std::string_view bytes);
  // fdatasync(2): the data and the metadata needed to read it back (the size) are durable.
  void datasync();
  // fsync(2): as datasync, plus all metadata.
  void sync();
  void truncate(std::uint64_t size);
  std::uint64_t size() const;
  void close();

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

// Reads a whole file into memory.
std::string read_whole_file(const std::filesystem::path& path);
// Makes the directory's entries (created, renamed or deleted files) durable.
void sync_directory(const std::filesystem::path& dir);
// Creates the directory (and parents) if missing.
void ensure_directory(const std::filesystem::path& dir);
// Writes `bytes` to `path` atomically and durably: `<path>.tmp`, fsync, rename, dir fsync.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);
// Deletes a file (throws io unless it was already gone).
void remove_file(const std::filesystem::path& path);

// Throws StorageError(io) for `what` failing on `path` with errno `error`.
[[noreturn]] void throw_io_error(std::string_view what, const std::filesystem::path& path,
                                 int error);

}  // namespace faultline::storage
