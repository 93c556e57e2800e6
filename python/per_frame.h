#pragma once
// The per-frame classes of facemirror._facemirror (Analyzer, VideoSession, MultiFaceSession,
// VideoFrames, read_image), bound by the module definition in facemirror_module.cpp.

#include <pybind11/pybind11.h>

namespace facemirror::python {

void bind_per_frame(pybind11::module_& m);

}  // namespace facemirror::python
