// ASTRAEA_HOT_LOOP: a loop of the portable build cloned for AVX-512 and AVX2 and dispatched by the
// CPU at load time (GCC ifunc); a native build compiles it for its own CPU. Results do not depend
// on the clone: the library builds with no FMA contraction (-ffp-contract=off) and no
// reassociation.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(ASTRAEA_NATIVE_BUILD)
#define ASTRAEA_HOT_LOOP __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ASTRAEA_HOT_LOOP
#endif
