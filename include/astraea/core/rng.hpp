// Counter-based randomness (Random123 Philox4x32-10). A random draw is a pure function of
// (seed, stream, counter words), never of thread order, so CPU and GPU runs agree.
#pragma once

#include <cstdint>

#include <Random123/philox.h>
#include <Random123/conventional/Engine.hpp>

#include "astraea/core/host_device.hpp"

namespace astraea {

// Named streams keep independent uses of one seed apart.
enum class RngStream : uint32_t {
  kPartition = 1,
  kSynthetic = 2,
  kInit = 3,
  kClientSampling = 4,
  kBatchOrder = 5,
  kDropout = 6,
  kAugmentCount = 7,
  kAugmentTransform = 8,
  kScheduler = 9,
  kSystems = 10,       // clients' speeds, links and availability
  kAvailability = 11,  // who is online in a round, who drops out of it
  kDrift = 12,         // how the clients' data and the population change
};

struct Philox4 {
  uint32_t v[4];
};

// Four 32-bit random words for counter (c0, c1, c2, c3) under key (seed, stream).
ASTRAEA_HD_INLINE Philox4 philox(uint64_t seed, RngStream stream, uint32_t c0, uint32_t c1, uint32_t c2,
                                 uint32_t c3) {
  r123::Philox4x32 gen;
  r123::Philox4x32::key_type key = {{static_cast<uint32_t>(seed) ^ (static_cast<uint32_t>(stream) * 0x9E3779B9u),
                                     static_cast<uint32_t>(seed >> 32)}};
  r123::Philox4x32::ctr_type ctr = {{c0, c1, c2, c3}};
  auto r = gen(ctr, key);
  return Philox4{{r[0], r[1], r[2], r[3]}};
}

// Uniform float in [0, 1) from 24 random bits.
ASTRAEA_HD_INLINE float to_unit_float(uint32_t bits) { return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f); }

// Host-side engine for sequential draws (partitioners, sampling): a standard UniformRandomBitGenerator
// over Philox, so <random> distributions can use it.
using HostEngine = r123::Engine<r123::Philox4x32>;

// Independent sequences for each (seed, stream, sub0, sub1, sub2).
inline HostEngine make_host_engine(uint64_t seed, RngStream stream, uint32_t sub0 = 0, uint32_t sub1 = 0,
                                   uint32_t sub2 = 0) {
  HostEngine::ukey_type key = {{static_cast<uint32_t>(seed) ^ (static_cast<uint32_t>(stream) * 0x9E3779B9u),
                                static_cast<uint32_t>(seed >> 32)}};
  HostEngine engine(key);
  HostEngine::ctr_type ctr = {{0, sub2, sub0, sub1}};  // word 0 counts draws
  engine.setcounter(ctr, 0);
  return engine;
}

}  // namespace astraea
