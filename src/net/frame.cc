// Frame encoding and incremental decoding (layout in frame.h).
#include "net/frame.h"

#include <cstring>

#include "storage/crc32c.h"
#include "storage/wal_record.h"

namespace faultline::net {
namespace {

using storage::get_u32;
using storage::put_u32;

std::uint32_t frame_checksum(std::uint8_t type, std::string_view payload) {
  const char type_byte = static_cast<char>(type);
  std::uint32_t crc = storage::crc32c_extend(0, &type_byte, 1);
  return storage::crc32c_extend(crc, payload);
}

}  // namespace

bool is_known_frame_type(std::uint8_t type) {
  return type == static_cast<std::uint8_t>(FrameType::hello) ||
         type == static_cast<std::uint8_t>(FrameType::raft_batch);
}

void append_frame(std::string& out, FrameType type, std::string_view payload) {
  const std::size_t header = out.size();
  out.append(kFrameHeaderBytes, '\0');
  out.append(payload);
  finish_frame(out, header, type);
}

void finish_frame(std::string& out, std::size_t header, FrameType type) {
  const auto t = static_cast<std::uint8_t>(type);
  char* head = out.data() + header;
  const std::string_view payload(head + kFrameHeaderBytes, out.size() - header - kFrameHeaderBytes);
  put_u32(head, static_cast<std::uint32_t>(payload.size()));
  head[4] = static_cast<char>(t);
  put_u32(head + 5, frame_checksum(t, payload));
}

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string out;
  out.reserve(kFrameHeaderBytes + payload.size());
  append_frame(out, type, payload);
  return out;
}

std::string_view to_string(FrameError e) {
  switch (e) {
    case FrameError::none:
      return "none";
    case FrameError::too_large:
      return "frame length over the limit";
    case FrameError::bad_checksum:
      return "frame checksum mismatch";
    case FrameError::unknown_type:
      return "unknown frame type";
  }
  return "?";
}

FrameDecoder::FrameDecoder(std::uint32_t max_payload) : max_payload_(max_payload) {}

void FrameDecoder::feed(const char* data, std::size_t size) {
  if (error_ != FrameError::none) return;
  // Drop what was already handed out before growing, so the buffer holds at most one
  // frame in progress plus the latest read.
  if (consumed_ > 0 && (consumed_ == buffer_.size() || consumed_ > (1u << 16))) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(data, size);
}

FrameDecoder::Result FrameDecoder::next(Frame& out) {
  FrameView view;
  const Result r = next(view);
  if (r == Result::frame) {
    out.type = view.type;
    out.payload.assign(view.payload.data(), view.payload.size());
  }
  return r;
}

FrameDecoder::Result FrameDecoder::next(FrameView& out) {
  if (error_ != FrameError::none) return Result::error;
  const std::size_t available = buffer_.size() - consumed_;
  if (available < kFrameHeaderBytes) return Result::need_more;
  const char* header = buffer_.data() + consumed_;
  const std::uint32_t length = get_u32(header);
  const auto type = static_cast<std::uint8_t>(header[4]);
  // Judge the header before waiting for the payload: an absurd length must not make us
  // buffer it.
  if (length > max_payload_) {
    error_ = FrameError::too_large;
    return Result::error;
  }
  if (!is_known_frame_type(type)) {
    error_ = FrameError::unknown_type;
    return Result::error;
  }
  if (available < kFrameHeaderBytes + length) return Result::need_more;
  std::string_view payload(header + kFrameHeaderBytes, length);
  if (frame_checksum(type, payload) != get_u32(header + 5)) {
    error_ = FrameError::bad_checksum;
    return Result::error;
  }
  out.type = static_cast<FrameType>(type);
  out.payload = payload;
  consumed_ += kFrameHeaderBytes + length;
  return Result::frame;
}

}  // namespace faultline::net
