#pragma once
// Damaged copies of test videos: packets overwritten as a bad sector or a broken transfer
// leaves them, or made "not coded" as capture software writes a frame it dropped.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_data.h"

namespace facemirror::test {

// Each packet's position and size in the file, from ffprobe.
inline std::vector<std::pair<std::uintmax_t, std::uintmax_t>> packet_spans(
    const std::filesystem::path& file) {
  const std::filesystem::path listing = file.parent_path() / "packets.txt";
  EXPECT_EQ(run_command("ffprobe -v error -select_streams v:0 -show_entries "
                        "packet=pos,size -of default=noprint_wrappers=1 '" +
                        file.string() + "' > '" + listing.string() + "'"),
            0);
  std::vector<std::pair<std::uintmax_t, std::uintmax_t>> spans;
  std::ifstream in(listing);
  std::uintmax_t pos = 0, size = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("size=", 0) == 0)
      size = std::stoull(line.substr(5));
    if (line.rfind("pos=", 0) == 0) {
      pos = std::stoull(line.substr(4));
      spans.emplace_back(pos, size);
    }
  }
  return spans;
}

// Packet `index` of an MPEG-4 Part 2 stream (every frame a key frame, a 25 Hz VOP clock) made a
// "not coded" VOP: its header (ISO/IEC 14496-2, 6.2.5) up to vop_coded, which becomes 0, and
// nothing after. The container still lists the frame; libav's decoder skips it without an
// error, as it does the N-VOPs some capture software writes for dropped frames.
inline void make_not_coded(const std::filesystem::path& file, size_t index) {
  const auto spans = packet_spans(file);
  ASSERT_GT(spans.size(), index);
  const auto [pos, size] = spans[index];
  std::string bytes = read_file(file);
  std::string packet = bytes.substr(pos, size);
  const size_t vop = packet.find(std::string("\0\0\1\xB6", 4));
  ASSERT_NE(vop, std::string::npos);
  std::string bits;
  for (size_t i = vop + 4; i < vop + 12; ++i) {
    for (int b = 7; b >= 0; --b)
      bits += ((static_cast<unsigned char>(packet[i]) >> b) & 1) ? '1' : '0';
  }
  size_t at = 2;           // vop_coding_type
  while (bits[at] == '1')  // modulo_time_base: a 1 per second elapsed, then a 0
    ++at;
  ++at;
  ASSERT_EQ(bits[at], '1') << "marker";
  at += 1 + 5;  // the marker, vop_time_increment: 5 bits count a 25 Hz clock
  ASSERT_EQ(bits[at], '1') << "marker";
  std::string header = bits.substr(0, at + 1) + "0";                    // vop_coded = 0
  header += "0" + std::string((8 - (header.size() + 1) % 8) % 8, '1');  // stuffing to a byte
  std::string replaced = packet.substr(0, vop + 4);
  for (size_t i = 0; i < header.size(); i += 8)
    replaced += static_cast<char>(std::stoi(header.substr(i, 8), nullptr, 2));
  replaced.resize(size, '\0');
  bytes.replace(pos, size, replaced);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

// A copy of `file` with packet `index` (decode order) overwritten with noise from `from` to
// `to` tenths of its length (the middle third by default), as a bad sector or a broken transfer
// leaves it; the packet's start (its NAL headers) is kept.
inline std::filesystem::path damaged_copy(const std::filesystem::path& file,
                                          const std::filesystem::path& out, size_t index,
                                          std::uintmax_t from = 3, std::uintmax_t to = 7) {
  const auto spans = packet_spans(file);
  EXPECT_GT(spans.size(), index);
  const auto [pos, size] = spans.at(index);
  std::string bytes = read_file(file);
  for (std::uintmax_t i = pos + size * from / 10; i < pos + size * to / 10; ++i)
    bytes[i] = static_cast<char>((i * 7919u) % 251u);
  std::ofstream(out, std::ios::binary | std::ios::trunc) << bytes;
  return out;
}

}  // namespace facemirror::test
