// A small bounded binary codec (varints, zigzag integers, length-prefixed strings) shared by
// the command encoding and the snapshot format. The reader never reads past its input: the
// first malformed field makes every later read fail, and error() says which field it was.
// Internal to faultline_kv.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace faultline::kv {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void zigzag(std::int64_t v) {
    varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void bytes(std::string_view s) {
    varint(s.size());
    out_.append(s);
  }

 private:
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool at_end() const { return pos_ == in_.size(); }
  std::size_t remaining() const { return in_.size() - pos_; }
  void fail(std::string_view what) {
    if (error_.empty()) error_ = std::string(what) + " (at byte " + std::to_string(pos_) + ")";
  }

  std::uint8_t u8(std::string_view field) {
    if (!ok()) return 0;
    if (pos_ >= in_.size()) {
      fail(std::string(field) + ": unexpected end of input");
      return 0;
    }
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  bool boolean(std::string_view field) {
    std::uint8_t v = u8(field);
    if (v > 1) fail(std::string(field) + ": not a boolean");
    return v == 1;
  }
  std::uint64_t varint(std::string_view field) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64 && ok(); shift += 7) {
      std::uint8_t b = u8(field);
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    fail(std::string(field) + ": varint too long");
    return 0;
  }
  std::int64_t zigzag(std::string_view field) {
    std::uint64_t v = varint(field);
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  std::string_view bytes(std::string_view field) {
    std::uint64_t n = varint(field);
    if (!ok()) return {};
    if (n > remaining()) {
      fail(std::string(field) + ": length " + std::to_string(n) + " past the end of input");
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  // A list count, refused when even one byte per item could not fit in what is left (so a
  // corrupt count can never make the caller reserve gigabytes).
  std::uint64_t count(std::string_view field) {
    std::uint64_t n = varint(field);
    if (ok() && n > remaining()) fail(std::string(field) + ": count past the end of input");
    return ok() ? n : 0;
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace faultline::kv
