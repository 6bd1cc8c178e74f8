// Stopping a run cleanly. While a StopSignals guard lives, SIGINT, SIGTERM and SIGHUP only record
// the signal: the round in flight finishes, the run saves its work and returns; a second signal
// ends the process at once (the default action). Library users (the CLI, a Python binding) may
// also request a stop from their own handlers.
#pragma once

namespace astraea {

class StopSignals {
 public:
  StopSignals();   // installs the handlers and clears any earlier request
  ~StopSignals();  // restores the previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The signal number received since the guard was made, 0 if none.
  static int pending();
  // As if `signal` had been received (async-signal-safe).
  static void request(int signal);
};

}  // namespace astraea
