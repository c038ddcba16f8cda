// The one exception type of faultline_storage. Errors on disk are answers, not crashes:
// every failure (an I/O error, a corrupt record, a bad argument) is a StorageError whose
// message a user can act on — it names the file, the byte offset and what is wrong.
//
//   try { DiskStorage storage({.dir = data_dir}); ... }
//   catch (const StorageError& e) {
//     if (e.kind() == StorageErrorKind::corruption) { /* refuse to start: e.what() */ }
//   }
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace faultline::storage {

enum class StorageErrorKind : std::uint8_t {
  io,                // a system call failed (errno text in the message)
  corruption,        // the data on disk is damaged beyond a torn tail: refuse to start
  invalid_argument,  // the caller asked for something impossible; nothing was changed
  failed,            // an earlier write or sync failed, so the log's durable state is unknown:
                     // every later write is refused until the process restarts and recovers
};
std::string_view to_string(StorageErrorKind kind);

class StorageError : public std::runtime_error {
 public:
  StorageError(StorageErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  StorageErrorKind kind() const { return kind_; }

 private:
  StorageErrorKind kind_;
};

}  // namespace faultline::storage
