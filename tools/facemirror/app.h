#pragma once
// `facemirror app`: the local web UI (issue 15). A server on 127.0.0.1 that shows a browser of
// the local folders under the chosen roots, starts a batch (mirror + AUs, mirror only, AUs
// only; re-run all or only unprocessed videos), pushes the engine's progress to the page as
// server-sent events, cancels, and links each finished video's report and files. Nothing is
// uploaded: the page names files, the server reads them where they are.
//
// SECURITY: every request needs the token printed with the URL, our own Host and (when sent)
// Origin, and paths inside the roots (app_security.h); no shell ever runs with user text.
//
// THREADS: the HTTP library's worker threads serve requests; one batch runs at a time on a
// thread of its own that calls cli::run (the engine owns its workers as always).

#include <string>
#include <vector>

namespace facemirror::cli {

struct app_options {
  int port = 0;  // 0: any free port
  bool no_browser = false;
  std::vector<std::string> roots;  // default: $HOME
  std::string models_dir;
  int workers = 0;
};

/// Serves until SIGINT/SIGTERM; returns the exit status.
[[nodiscard]] int run_app(const app_options& options);

}  // namespace facemirror::cli
