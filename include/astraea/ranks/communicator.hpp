// The ranks of a run (DESIGN: scale-out). One process is the default; launched by mpirun or srun
// in a build with MPI, a run spans every rank: each trains its share of the round's mediators and
// the aggregate is summed across ranks. Everything else a rank needs (partition, schedule, step
// plans) is a pure function of the config and seed, so every rank computes it alone and no
// schedule is sent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace astraea {

class Backend;

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string name() const = 0;
  // data (n elements of backend memory) = the sum over ranks, the same bits on every rank.
  virtual void sum(Backend& backend, float* data, size_t n) = 0;
  // Host values, summed over ranks (statistics).
  virtual void sum(double* data, size_t n) = 0;
  // True on every rank when it is true on any: ranks agree, e.g. on stopping after a round.
  virtual bool any(bool flag) = 0;
};

// MPI when this build has it and the process was started by an MPI launcher (mpirun, srun:
// detected from their environment), else the single-process communicator. MPI is initialised
// here and finalised at exit.
std::unique_ptr<Communicator> make_communicator();

// After an error on one rank: ends every rank of an MPI run with `code` (the others may be waiting
// in a collective and would never return). Does nothing in one process.
void abort_ranks(int code);

// The single-process communicator (for tests and library users).
std::unique_ptr<Communicator> make_local_communicator();

}  // namespace astraea
