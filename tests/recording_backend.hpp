// A CPU stand-in for a backend with graphs: the CPU backend, plus begin_capture/end_capture/replay
// that record every call made in between (launches, GEMMs, copies) and run them again on replay.
// It lets the trainer's use of graphs (what is recorded, what must change between replays, when
// graphs are dropped) be tested here against the plain CPU backend, bit for bit; CUDA's graphs
// themselves are tested on a GPU.
#pragma once

#include <memory>

#include "astraea/backend/backend.hpp"

namespace astraea::testing {

class RecordingBackend : public Backend {
 public:
  virtual int captures() const = 0;  // graphs recorded so far
  virtual int replays() const = 0;
};

std::unique_ptr<RecordingBackend> make_recording_backend();

}  // namespace astraea::testing
