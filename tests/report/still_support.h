#pragma once
// Videos whose every frame is one grey level, and the grey level of a report's embedded still:
// so a test sees which frame a still shows.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "facemirror/io/video_writer.h"

namespace facemirror::test {

/// `frames` frames of 64x48 at 1 frame/s, frame i all at grey level grey(i) (0..255).
inline void write_grey_video(const std::filesystem::path& file, int64_t frames,
                             const std::function<int(int64_t)>& grey) {
  video_info timing;
  timing.average_fps = 1;
  timing.constant_frame_rate = true;
  for (int64_t i = 0; i < frames; ++i)
    timing.timestamps_s.push_back(static_cast<double>(i));
  video_writer writer(file, timing, {64, 48});
  for (int64_t i = 0; i < frames; ++i)
    writer.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(grey(i))));
  writer.finish();
}

/// The mean grey level of an embedded JPEG still (`data:image/jpeg;base64,...`); -1 when it
/// does not decode.
inline double still_grey(const std::string& data_uri) {
  const std::string prefix = "data:image/jpeg;base64,";
  EXPECT_EQ(data_uri.rfind(prefix, 0), 0u);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uchar> bytes;
  uint32_t bits = 0;
  int count = 0;
  for (size_t i = prefix.size(); i < data_uri.size() && data_uri[i] != '='; ++i) {
    bits = (bits << 6) | static_cast<uint32_t>(alphabet.find(data_uri[i]));
    count += 6;
    if (count >= 8) {
      count -= 8;
      bytes.push_back(static_cast<uchar>((bits >> count) & 0xff));
    }
  }
  const cv::Mat image = cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
  return image.empty() ? -1 : cv::mean(image)[0];
}

/// The stills of a page in order: each one's right and left JPEG and its caption (after the
/// dash: "frame N, T s"), with the label before "right" ("rest", "peak"; "" for none).
struct page_still {
  std::string label, right, left, caption;
};
inline std::vector<page_still> stills_of(const std::string& html) {
  std::vector<page_still> out;
  size_t at = 0;
  const auto between = [&](const std::string& before, const std::string& after) {
    const size_t start = html.find(before, at);
    if (start == std::string::npos)
      return std::string();
    const size_t end = html.find(after, start + before.size());
    at = end;
    return html.substr(start + before.size(), end - start - before.size());
  };
  while ((at = html.find("<div class=\"still\">", at)) != std::string::npos) {
    page_still still;
    still.right = between("src=\"", "\"");
    still.left = between("src=\"", "\"");
    const std::string label = between("</div>", "<span class=\"right\">");
    still.label = label.size() >= 2 ? label.substr(0, label.size() - 2) : "";
    still.caption = between("&mdash; ", "</div>");
    out.push_back(still);
  }
  return out;
}

}  // namespace facemirror::test
