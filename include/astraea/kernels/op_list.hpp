// Every op a backend runs: the element-wise and per-sample functors of each family, listed once
// by the family's own header. A backend instantiates each entry (Backend::launch overloads, the
// CUDA backend's kernels) and the per-op tests walk the same list. Adding an op: write its functor
// in its family's header (or a new family header included here) and add it to that family's list.
#pragma once

#include "astraea/kernels/activation.hpp"
#include "astraea/kernels/augment_transform.hpp"
#include "astraea/kernels/client_terms.hpp"
#include "astraea/kernels/gather.hpp"
#include "astraea/kernels/kld_scores.hpp"
#include "astraea/kernels/server_update.hpp"
#include "astraea/kernels/softmax_loss.hpp"
#include "astraea/kernels/spatial.hpp"
#include "astraea/kernels/update.hpp"

#define ASTRAEA_OPS(X)         \
  ASTRAEA_ELEMENTWISE_OPS(X)   \
  ASTRAEA_SPATIAL_OPS(X)       \
  ASTRAEA_GATHER_OPS(X)        \
  ASTRAEA_LOSS_OPS(X)          \
  ASTRAEA_UPDATE_OPS(X)        \
  ASTRAEA_CLIENT_TERM_OPS(X)   \
  ASTRAEA_SERVER_OPS(X)        \
  ASTRAEA_AUGMENT_OPS(X)       \
  ASTRAEA_SCHEDULER_OPS(X)
