#pragma once
// Progress on stderr: a redrawn bar for terminals, JSON lines for GUIs, or nothing.

#include <cstdio>
#include <string>

#include "facemirror/pipeline/engine.h"

namespace facemirror::cli {

enum class progress_style { none, bar, json };

/// "auto" picks bar when stderr is a terminal, else none.
[[nodiscard]] progress_style parse_progress_style(const std::string& name);

class progress_printer {
 public:
  explicit progress_printer(progress_style style) : style_(style) {}
  void operator()(const progress_event& event);
  /// Ends the bar's line so later messages start on a fresh one.
  void finish();

 private:
  progress_style style_;
  bool bar_drawn_ = false;
};

}  // namespace facemirror::cli
