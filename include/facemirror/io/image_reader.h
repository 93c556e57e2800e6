#pragma once
// Still images (JPEG, PNG, BMP, TIFF... whatever OpenCV's imgcodecs reads) as 8-bit BGR.
//
// WHAT THIS REPRESENTS
//   read_image: one file decoded, orientation as stored (no EXIF rotation, as OpenFace reads
//   them), converted to 8-bit BGR: 16-bit samples keep their high byte, grey is replicated into
//   three channels, an alpha channel is dropped.
//   is_image_file: whether a path's extension is one read_image takes (for sorting a batch's
//   inputs into images and videos).
//
// THREAD SAFETY
//   Pure functions of the file.
//
// PROCESS-WIDE EFFECT
//   Loading this code (libfacemirror) makes OpenCV's default cv::Mat allocator one that forwards
//   to OpenCV's standard allocator and refuses, only inside read_image on the calling thread, an
//   image buffer over the pixel limit (OpenCV gives no other way to refuse a size it allows
//   before allocating it). Every other allocation in the process is unchanged.
//
// ERRORS
//   A missing or unreadable file throws error(io); a file OpenCV cannot decode as an image
//   throws error(codec), as does one whose header claims more than 2^27 pixels (134 megapixels;
//   refused before its pixels are allocated), and a JPEG cut short (libjpeg would decode it,
//   the missing rows grey). The message names the file.

#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace facemirror {

[[nodiscard]] cv::Mat read_image(const std::filesystem::path& file);

/// The EXIF orientation tag of an image file, 1 to 8 (1: as stored; 6: shown turned 90 degrees
/// clockwise; 3: 180; 8: 90 anticlockwise; 2, 4, 5, 7: also mirrored), or 1 when the file has
/// none or cannot be read. read_image() ignores it, as OpenFace 2.2 does (its landmarks are in
/// the stored pixels' frame): a caller can say so where a phone's photograph would otherwise
/// be analysed sideways.
[[nodiscard]] int exif_orientation(const std::filesystem::path& file);

/// How exif_orientation() shows the stored image ("turned 90 degrees clockwise", ...); empty
/// for 1 (as stored) or an unknown value.
[[nodiscard]] const char* describe_exif_orientation(int orientation);

/// The extensions read_image takes (lower case, with the dot): .jpg .jpeg .png .bmp .tif .tiff
/// .webp.
[[nodiscard]] const std::vector<std::string>& image_extensions();
/// Whether `file`'s extension, in any case, is one of image_extensions().
[[nodiscard]] bool is_image_file(const std::filesystem::path& file);

}  // namespace facemirror
