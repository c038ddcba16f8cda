// RFC 4180 CSV for the run record (see csv.h).
#include "record/csv.h"

#include <stdexcept>

namespace faultline::record::csv {
namespace {

bool needs_quotes(std::string_view field) {
  if (field.empty()) return false;
  if (field.front() == ' ' || field.back() == ' ') return true;
  return field.find_first_of(",\"\r\n") != std::string_view::npos;
}

}  // namespace

void append_field(std::string& out, std::string_view field) {
  if (!needs_quotes(field)) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_row(std::string& out, const std::vector<std::string_view>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_field(out, fields[i]);
  }
  out.push_back('\n');
}

std::optional<std::vector<std::string>> Reader::next() {
  if (pos_ >= text_.size()) return std::nullopt;
  record_line_ = current_line_;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;      // inside a quoted field
  bool was_quoted = false;  // the current field started with a quote
  while (true) {
    if (pos_ >= text_.size()) {
      if (quoted) throw std::runtime_error("unterminated quoted field (truncated file?)");
      throw std::runtime_error("last line has no newline (truncated file?)");
    }
    char c = text_[pos_++];
    if (quoted) {
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++current_line_;
        field.push_back(c);
      }
      continue;
    }
    if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n') {
      ++current_line_;
      fields.push_back(std::move(field));
      return fields;
    } else if (c == '"') {
      if (!field.empty() || was_quoted) {
        throw std::runtime_error("a double quote inside an unquoted field");
      }
      quoted = true;
      was_quoted = true;
    } else if (was_quoted) {
      throw std::runtime_error("text after the closing quote of a field");
    } else if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') {
      // A CRLF line end (a file edited on another system): the CR is not data.
    } else {
      field.push_back(c);
    }
  }
}

}  // namespace faultline::record::csv
