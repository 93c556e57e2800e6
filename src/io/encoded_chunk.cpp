// encode_chunk / decode_chunk: encoded_chunk's binary form for the worker-to-parent pipe.
//
// Layout (native integers; both ends are the same binary):
//   int64 magic, first_frame, width, height, extradata size, packet count, data size
//   extradata bytes
//   per packet: int64 offset, size, frame, keyframe (0/1)
//   data bytes

#include <cstring>

#include "facemirror/io/segment_video.h"

namespace facemirror {
namespace {

constexpr int64_t chunk_magic = 0x314b4e4843'4d46;  // "FMCHNK1", version in the last byte

void put(std::string& out, int64_t v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void put_bytes(std::string& out, const std::vector<uint8_t>& bytes) {
  out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

[[noreturn]] void malformed(const std::string& what) {
  throw error(error_code::internal, "malformed encoded video chunk: " + what);
}

// Reads from the front of `bytes`, checking every length against what is left.
class reader {
 public:
  explicit reader(std::string_view bytes) : bytes_(bytes) {}

  int64_t get() {
    int64_t v = 0;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  // A count of items of `item_size` bytes that the rest of the buffer can hold.
  size_t get_count(size_t item_size, const char* what) {
    const int64_t n = get();
    if (n < 0 || static_cast<uint64_t>(n) > bytes_.size() / item_size)
      malformed(std::string("bad ") + what);
    return static_cast<size_t>(n);
  }
  void get_bytes(std::vector<uint8_t>& out, size_t n) {
    const char* p = take(n);
    out.assign(p, p + n);
  }
  [[nodiscard]] bool done() const { return bytes_.empty(); }

 private:
  const char* take(size_t n) {
    if (n > bytes_.size())
      malformed("truncated");
    const char* p = bytes_.data();
    bytes_.remove_prefix(n);
    return p;
  }
  std::string_view bytes_;
};

}  // namespace

void encode_chunk(const encoded_chunk& chunk, std::string& out) {
  out.reserve(out.size() + 7 * 8 + chunk.extradata.size() + chunk.packets.size() * 4 * 8 +
              chunk.data.size());
  put(out, chunk_magic);
  put(out, chunk.first_frame);
  put(out, chunk.width);
  put(out, chunk.height);
  put(out, static_cast<int64_t>(chunk.extradata.size()));
  put(out, static_cast<int64_t>(chunk.packets.size()));
  put(out, static_cast<int64_t>(chunk.data.size()));
  put_bytes(out, chunk.extradata);
  for (const encoded_packet& p : chunk.packets) {
    put(out, p.offset);
    put(out, p.size);
    put(out, p.frame);
    put(out, p.keyframe ? 1 : 0);
  }
  put_bytes(out, chunk.data);
}

encoded_chunk decode_chunk(std::string_view bytes) {
  reader in(bytes);
  if (in.get() != chunk_magic)
    malformed("bad magic");
  encoded_chunk chunk;
  chunk.first_frame = in.get();
  const int64_t width = in.get();
  const int64_t height = in.get();
  if (chunk.first_frame < 0 || width <= 0 || height <= 0 || width > 1 << 16 || height > 1 << 16)
    malformed("bad frame number or size");
  chunk.width = static_cast<int>(width);
  chunk.height = static_cast<int>(height);
  const size_t extradata_size = in.get_count(1, "extradata size");
  const size_t packet_count = in.get_count(4 * sizeof(int64_t), "packet count");
  const size_t data_size = in.get_count(1, "data size");
  in.get_bytes(chunk.extradata, extradata_size);
  chunk.packets.resize(packet_count);
  for (encoded_packet& p : chunk.packets) {
    p.offset = in.get();
    p.size = in.get();
    p.frame = in.get();
    const int64_t key = in.get();
    if (p.offset < 0 || p.size < 0 || static_cast<uint64_t>(p.offset) > data_size ||
        static_cast<uint64_t>(p.size) > data_size - static_cast<uint64_t>(p.offset) ||
        (key != 0 && key != 1)) {
      malformed("packet out of bounds");
    }
    p.keyframe = key == 1;
  }
  in.get_bytes(chunk.data, data_size);
  if (!in.done())
    malformed("trailing bytes");
  return chunk;
}

}  // namespace facemirror
