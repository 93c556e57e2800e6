#pragma once
// Binary encoding of a segment's task and results for the trips between the parent and a
// worker process.
// Both ends are the same binary on the same machine, so values travel in native layout; the
// encoding is exact, which keeps process mode byte-identical to thread mode.

#include <string>
#include <string_view>
#include <vector>

#include "facemirror/analysis/landmark_session.h"

#include "segment_worker.h"

namespace facemirror::detail {

void encode_frames(const std::vector<analysed_frame>& frames, std::string& out);

/// Throws facemirror::error(internal) on a malformed buffer.
[[nodiscard]] std::vector<analysed_frame> decode_frames(std::string_view bytes);

void encode_segment(const segment_output& output, std::string& out);
[[nodiscard]] segment_output decode_segment(std::string_view bytes);

/// A task on its way from the parent to a worker process.
void encode_task(const segment_task& task, std::string& out);
[[nodiscard]] segment_task decode_task(std::string_view bytes);

}  // namespace facemirror::detail
