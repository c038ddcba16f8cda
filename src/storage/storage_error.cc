// Names of the storage error kinds (for logs and test messages).
#include "storage/storage_error.h"

namespace faultline::storage {

std::string_view to_string(StorageErrorKind kind) {
  switch (kind) {
    case StorageErrorKind::io:
      return "io";
    case StorageErrorKind::corruption:
      return "corruption";
    case StorageErrorKind::invalid_argument:
      return "invalid_argument";
    case StorageErrorKind::failed:
      return "failed";
  }
  return "unknown";
}

}  // namespace faultline::storage
