// The CSV dialect of the run record's ops.csv and samples.csv: RFC 4180. A field that
// contains a comma, a double quote, a CR or a LF (or starts/ends with a space) is enclosed
// in double quotes, with every double quote inside doubled; every other byte is written as
// it is, so keys and values may be arbitrary bytes. Records end with "\n"; a quoted field
// may span lines, so the reader reports the line where the record starts.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::record::csv {

// Appends `field` to `out`, quoted if it needs to be.
void append_field(std::string& out, std::string_view field);
// Appends the fields separated by commas and a final "\n".
void append_row(std::string& out, const std::vector<std::string_view>& fields);

// Reads records one by one from a whole file's text.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  // The next record's fields, or nullopt at the end of the text. Throws std::runtime_error
  // (without file name: the caller adds it) for an unterminated quote, a quote inside an
  // unquoted field, or a last record with no final newline (a truncated file).
  std::optional<std::vector<std::string>> next();
  // The 1-based line where the record last returned by next() started.
  std::size_t line() const { return record_line_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t current_line_ = 1;
  std::size_t record_line_ = 0;
};

}  // namespace faultline::record::csv
