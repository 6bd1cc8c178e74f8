#include "astraea/experiment/stop_signals.hpp"

#include <csignal>

namespace astraea {
namespace {

volatile std::sig_atomic_t g_pending = 0;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
using Handler = void (*)(int);
Handler g_previous[3] = {SIG_DFL, SIG_DFL, SIG_DFL};

void on_signal(int sig) {
  g_pending = sig;
  std::signal(sig, SIG_DFL);  // a second one is not caught
}

}  // namespace

StopSignals::StopSignals() {
  g_pending = 0;
  for (int i = 0; i < 3; ++i) g_previous[i] = std::signal(kSignals[i], on_signal);
}

StopSignals::~StopSignals() {
  for (int i = 0; i < 3; ++i) std::signal(kSignals[i], g_previous[i] == SIG_ERR ? SIG_DFL : g_previous[i]);
}

int StopSignals::pending() { return g_pending; }

void StopSignals::request(int signal) { g_pending = signal; }

}  // namespace astraea
