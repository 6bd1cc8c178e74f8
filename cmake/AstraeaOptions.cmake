# User-facing build options.
set(ASTRAEA_CUDA "AUTO" CACHE STRING "Build the CUDA backend: AUTO (when nvcc is found), ON (required), OFF (never)")
set_property(CACHE ASTRAEA_CUDA PROPERTY STRINGS AUTO ON OFF)
set(ASTRAEA_MPI "AUTO" CACHE STRING "Multi-rank runs over MPI: AUTO (when MPI is found), ON (required), OFF (never)")
set_property(CACHE ASTRAEA_MPI PROPERTY STRINGS AUTO ON OFF)
option(ASTRAEA_BUILD_TESTS "Build the test suite" ON)
option(ASTRAEA_BUILD_BENCH "Build the benchmarks" ON)
# Portable by default: host code for a baseline every x86-64 of the last fifteen years runs
# (x86-64-v2), the CPU backend's hot loops cloned for AVX2 and AVX-512 and picked at run time.
# ASTRAEA_NATIVE=ON compiles everything for the building machine's CPU instead (faster to build,
# not to be copied to other nodes).
option(ASTRAEA_NATIVE "Compile host code for this CPU (-march=native) instead of the portable baseline" OFF)
set(ASTRAEA_BASELINE_ARCH "x86-64-v2" CACHE STRING "The portable build's -march on x86-64")

# Warnings for our own C++ only (CUDA host passes get their own flags in cuda/).
set(ASTRAEA_CXX_WARNINGS $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>)

# Sanitizers for every C++ target, e.g. -DASTRAEA_SANITIZE=address,undefined (scripts/sanitize.sh).
set(ASTRAEA_SANITIZE "" CACHE STRING "Build with -fsanitize=<list> (e.g. address,undefined); empty: none")
if(ASTRAEA_SANITIZE)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${ASTRAEA_SANITIZE}> $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=all>)
  add_link_options(-fsanitize=${ASTRAEA_SANITIZE})
endif()
# libFuzzer targets for the readers (tests/fuzz/, scripts/fuzz.sh); needs clang.
option(ASTRAEA_FUZZ "Build the libFuzzer targets (clang only)" OFF)
if(ASTRAEA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "ASTRAEA_FUZZ=ON needs clang: configure with CXX=clang++ CC=clang (scripts/fuzz.sh does)")
  endif()
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link,address,undefined>)
  add_link_options(-fsanitize=address,undefined)
endif()
