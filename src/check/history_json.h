// The history as JSON in the shape Jepsen's checkers read (elle-cli's JSON reader:
// an array of op maps with "index", "process", "type" invoke|ok|fail|info, "f", "value",
// "time" in nanoseconds), and back. Two shapes:
//
//   elle (default): every op is a one-micro-op transaction of Elle's rw-register model,
//     {"f":"txn","value":[["w","k3",17]]} / {"f":"txn","value":[["r","k3",17]]};
//     check with `elle-cli --model rw-register --consistency-models strict-serializable`.
//   knossos: flat register ops {"f":"write","value":17} / {"f":"read","value":17}, for
//     Knossos' cas-register model; only for a single-key history (Knossos checks one
//     register; a multi-key history is refused with a clear error).
//
// Values that are canonical decimal integers are written as JSON numbers, others as strings;
// an absent read is null. Processes follow Jepsen's rule (one op at a time per process; a
// process whose op ended "info" is never reused), so an open-loop client with many ops in
// flight becomes several processes. Keys and values must be valid UTF-8.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "record/run_record.h"

namespace faultline::check {

enum class HistoryFormat { elle, knossos };

class HistoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws HistoryError for a history that cannot be expressed (knossos with several keys,
// a key or value that is not UTF-8).
nlohmann::json to_jepsen_json(const std::vector<record::Operation>& ops,
                              HistoryFormat format = HistoryFormat::elle);
// Writes the JSON array to `path` atomically (temporary file, then rename).
void export_history(const std::vector<record::Operation>& ops, const std::filesystem::path& path,
                    HistoryFormat format = HistoryFormat::elle);

// Reads either shape (and JSON lines, one op map per line). Invocations are paired with the
// next completion of the same process; an invocation with no completion, or completed by
// "info", becomes a timeout. Times become microseconds. Throws HistoryError naming the
// file, the op index and the problem.
std::vector<record::Operation> from_jepsen_json(const nlohmann::json& history);
std::vector<record::Operation> load_history(const std::filesystem::path& path);

}  // namespace faultline::check
