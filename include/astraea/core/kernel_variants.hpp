// Kernels written several times for different instruction sets (a plain loop, AVX2, AVX-512),
// one of which is chosen at run time by what the CPU supports: never by -march, so one build runs
// on every x86-64 machine. The tests run every supported variant against the plain one.
#pragma once

#include <vector>

namespace astraea {

template <typename Kernel>
struct KernelVariant {
  const char* name;  // "plain", "avx2", "avx512"
  Kernel kernel;
  bool supported;    // by this CPU
};

// The last supported variant of a list ordered from the plain loop (always supported) up.
template <typename Kernel>
Kernel best_supported(const std::vector<KernelVariant<Kernel>>& variants) {
  Kernel best = variants.front().kernel;
  for (const KernelVariant<Kernel>& v : variants)
    if (v.supported) best = v.kernel;
  return best;
}

}  // namespace astraea
