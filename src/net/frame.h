// The frame of faultline's peer transport: every payload between two nodes travels as
//
//   u32 payload_length | u8 type | u32 crc32c(type byte, payload) | payload
//
// (integers little-endian, 9 header bytes). The length comes first so a reader knows how
// much to wait for; it is bounded so a corrupt or hostile length cannot make a node
// allocate gigabytes; the checksum covers the type so a flipped type byte is caught too.
// A frame that fails any check poisons the connection: the reader closes it (the sender
// reconnects), because after a bad length nothing later on the stream can be trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace faultline::net {

enum class FrameType : std::uint8_t {
  hello = 1,       // peerpb::Hello, the first frame of every connection
  raft_batch = 2,  // peerpb::RaftBatch
};
bool is_known_frame_type(std::uint8_t type);

inline constexpr std::size_t kFrameHeaderBytes = 9;
// Large enough for a snapshot of a benchmark-sized store; anything above is treated as
// corruption. Configurable per decoder for tests.
inline constexpr std::uint32_t kDefaultMaxFramePayload = 64u << 20;

// Appends one encoded frame to `out` (so a writer can coalesce frames into one buffer).
void append_frame(std::string& out, FrameType type, std::string_view payload);
std::string encode_frame(FrameType type, std::string_view payload);
// For writers that encode a payload in place: `out` holds kFrameHeaderBytes of room at
// `header` followed by the payload up to its end; fills in the length and checksum.
void finish_frame(std::string& out, std::size_t header, FrameType type);

enum class FrameError : std::uint8_t { none, too_large, bad_checksum, unknown_type };
std::string_view to_string(FrameError e);

struct Frame {
  FrameType type = FrameType::hello;
  std::string payload;
};

// A frame still inside the decoder's buffer: valid until the decoder's next feed().
struct FrameView {
  FrameType type = FrameType::hello;
  std::string_view payload;
};

// Turns a byte stream into frames. Feed bytes as they arrive; next() hands out complete
// frames. After an error the decoder stays failed: the connection must be closed.
class FrameDecoder {
 public:
  enum class Result : std::uint8_t { frame, need_more, error };

  explicit FrameDecoder(std::uint32_t max_payload = kDefaultMaxFramePayload);

  void feed(const char* data, std::size_t size);
  Result next(Frame& out);
  // The same without copying the payload out (it stays valid until the next feed()).
  Result next(FrameView& out);

  FrameError error() const { return error_; }
  // Bytes received but not yet handed out as frames (bounded by one frame plus a read).
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  std::uint32_t max_payload_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // bytes of buffer_ already handed out
  FrameError error_ = FrameError::none;
};

}  // namespace faultline::net
