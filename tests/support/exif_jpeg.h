#pragma once
// A JPEG carrying an EXIF orientation tag, as a phone writes a photograph it stored sideways:
// the JPEG's bytes with an APP1 "Exif" segment (a little-endian TIFF header and one IFD entry,
// tag 0x0112 SHORT) put right after its start-of-image marker.

#include <cstdint>
#include <string>
#include <vector>

namespace facemirror::test {

inline std::string with_exif_orientation(const std::vector<unsigned char>& jpeg, int orientation) {
  const std::string tiff = std::string("II*\0", 4) + std::string("\x08\0\0\0", 4) +  // IFD at 8
                           std::string("\x01\0", 2) +                                // 1 entry
                           std::string("\x12\x01\x03\0\x01\0\0\0", 8) +  // 0x0112, SHORT, 1
                           std::string(1, static_cast<char>(orientation)) +
                           std::string("\0\0\0", 3) +   // the value, padded to 4 bytes
                           std::string("\0\0\0\0", 4);  // no next IFD
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const size_t length = payload.size() + 2;
  const std::string app1 = std::string("\xFF\xE1", 2) + static_cast<char>(length >> 8) +
                           static_cast<char>(length & 0xFF) + payload;
  const std::string bytes(jpeg.begin(), jpeg.end());
  return bytes.substr(0, 2) + app1 + bytes.substr(2);
}

}  // namespace facemirror::test
