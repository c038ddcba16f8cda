// Checked POSIX file operations; see posix_file.h.
#include "storage/posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "storage/storage_error.h"

namespace faultline::storage {

void throw_io_error(std::string_view what, const std::filesystem::path& path, int error) {
  throw StorageError(StorageErrorKind::io,
                     std::string(what) + " " + path.string() + ": " + std::strerror(error));
}

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

FileHandle::FileHandle(FileHandle&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

FileHandle FileHandle::open(const std::filesystem::path& path, int flags, unsigned mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw_io_error("open", path, errno);
  return FileHandle(fd, path);
}

void FileHandle::write_all(std::string_view bytes) {
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io_error("write", path_, errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void FileHandle::datasync() {
  if (::fdatasync(fd_) != 0) throw_io_error("fdatasync", path_, errno);
}

void FileHandle::sync() {
  if (::fsync(fd_) != 0) throw_io_error("fsync", path_, errno);
}

void FileHandle::truncate(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) throw_io_error("ftruncate", path_, errno);
}

std::uint64_t FileHandle::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw_io_error("fstat", path_, errno);
  return static_cast<std::uint64_t>(st.st_size);
}

void FileHandle::close() {
  if (fd_ < 0) return;
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw_io_error("close", path_, errno);
}

std::string read_whole_file(const std::filesystem::path& path) {
  FileHandle file = FileHandle::open(path, O_RDONLY);
  std::string bytes(file.size(), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        ::pread(file.fd(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io_error("read", path, errno);
    }
    if (n == 0) break;  // the file shrank under us: return what is there
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

void sync_directory(const std::filesystem::path& dir) {
  FileHandle handle = FileHandle::open(dir, O_RDONLY | O_DIRECTORY);
  handle.sync();
}

void ensure_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw_io_error("mkdir", dir, ec.value());
  if (!std::filesystem::is_directory(dir)) throw_io_error("mkdir", dir, ENOTDIR);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    FileHandle file = FileHandle::open(tmp, O_WRONLY | O_CREAT | O_TRUNC);
    file.write_all(bytes);
    file.sync();
    file.close();
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw_io_error("rename", tmp, errno);
  sync_directory(path.parent_path());
}

void remove_file(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_io_error("unlink", path, errno);
}

}  // namespace faultline::storage
