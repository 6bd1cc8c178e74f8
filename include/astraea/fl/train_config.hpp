// [train] and [astraea]: how the federation trains. FedAvg is the default (gamma = 1).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "astraea/data/augmentation.hpp"

namespace astraea {

struct TrainConfig {
  std::string model = "mlp";
  std::string optimizer = "sgd";  // sgd (momentum > 0: heavy ball) | adam
  double lr = 0.05;
  double momentum = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  int batch = 10;                 // B
  int local_epochs = 1;           // E
  int rounds = 20;
  int64_t clients_per_round = 10; // c
  bool reset_optimizer = true;    // fresh optimizer state for every client
  int eval_every = 1;             // rounds; the last round is always evaluated
  int eval_batch = 500;
  std::string backend = "auto";   // auto | cpu | cuda
  int threads = 0;                // CPU lanes, 0 = all cores
  int replicas = 0;               // replicas per batched call (0 = 1 per CPU lane, 64 on a GPU)
  bool tf32 = false;              // GEMMs in TF32 on GPU tensor cores (Backend::set_tf32)
  std::string conv = "im2col";    // convolutions: im2col + GEMM, or "cudnn" (the backend's library)
  bool cuda_graphs = false;       // replay a wave's recorded step (ReplicaTrainer, TrainerOptions::graphs)
  double target_accuracy = 0.0;   // summary: bytes and rounds to reach it (0 = none)
  int checkpoint_every = 10;      // rounds between DIR/checkpoint.safetensors (0: only at the end)
};

// Astraea's two mechanisms. The defaults are FedAvg: no augmentation, every client its own mediator.
struct AstraeaConfig {
  AugmentationConfig augmentation;    // [astraea] augmentation, tau_d, alpha, ...
  std::string scheduler = "none";     // none | greedy | random | deficit
  int mediator_size = 10;             // gamma
  // On a GPU backend the greedy may score by brute force on the device (greedy_mediators_batched)
  // from this many online clients on (0: never, the default). Off until a GPU measures that one
  // launch round trip per pick beats the host's pruned scan.
  int64_t device_scheduler_from = 0;
  int mediator_epochs = 1;            // E_m
  std::string target = "uniform";     // what mediators aim for, and what augmentation ratios are
                                      // computed against (data/class_profile.hpp: class_distribution)
  std::string balance = "mean";       // scheduler "balanced": mean (sample-weighted) or max mediator KL
  int balance_passes = 2;             // scheduler "balanced": improvement passes at most
  double balance_worst_ratio = 0;     // scheduler "balanced", mean: the worst mediator within this
                                      // many times the weighted mean after the passes (0: off)
};

// [algorithm]: the FL algorithm around the local training, each part a registered plug-in. The
// defaults are FedAvg: cross-entropy, no client term, the server applies the weighted delta.
struct AlgorithmConfig {
  std::string loss = "ce";        // nn/losses.hpp: ce | focal | fedlc | fedrs
  std::string client = "none";    // fl/client_algorithm.hpp: none | fedprox | scaffold
  std::string server = "fedavg";  // fl/server_update.hpp: fedavg | fedavgm | fedadam | fedyogi | fedadagrad
  std::map<std::string, double> params;  // the plug-ins' parameters set in the config (defaults: their specs)
};

}  // namespace astraea
