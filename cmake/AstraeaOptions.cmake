# User-facing build options.
set(ASTRAEA_CUDA "AUTO" CACHE STRING "Build the CUDA backend: AUTO (when nvcc is found), ON (required), OFF (never)")
set_property(CACHE ASTRAEA_CUDA PROPERTY STRINGS AUTO ON OFF)
set(ASTRAEA_MPI "AUTO" CACHE STRING "Multi-rank runs over MPI: AUTO (when MPI is found), ON (required), OFF (never)")
set_property(CACHE ASTRAEA_MPI PROPERTY STRINGS AUTO ON OFF)
option(ASTRAEA_BUILD_TESTS "Build the test suite" ON)
option(ASTRAEA_BUILD_BENCH "Build the benchmarks" ON)
option(ASTRAEA_NATIVE "Compile host code for this CPU (-march=native)" ON)

# Warnings for our own C++ only (CUDA host passes get their own flags in cuda/).
set(ASTRAEA_CXX_WARNINGS $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>)
