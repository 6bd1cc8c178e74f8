// The methods `astraea compare` runs, by name: Astraea's ablation (fedavg, augmentation,
// rescheduling, astraea, random_mediators) and the FL algorithms it is compared with. A method is
// a set of config overrides applied on top of the experiment's config after its method keys are
// reset to FedAvg; methods combine with '+' (astraea+fedlc) when they set different keys. Its
// hyper-parameters are the config's own keys (documented defaults from each method's paper).
#pragma once

#include <string>
#include <vector>

#include "astraea/core/registry.hpp"
#include "astraea/io/config.hpp"

namespace astraea {

struct MethodRecipe {
  // The overrides ("section.key=value") that make the method, given the experiment's config.
  std::vector<std::string> (*overrides)(const ExperimentConfig& base);
};

const Registry<MethodRecipe>& method_registry();

// Astraea's ablation: what `compare` runs without --methods.
std::vector<std::string> ablation_methods();

// The overrides for `spec` ("name" or "a+b+..."): the method keys reset to FedAvg, then each
// component's. Throws naming --methods for an unknown name or for components that set one key to
// different values.
std::vector<std::string> method_overrides(const std::string& spec, const ExperimentConfig& base);

// A line for tables: the components' descriptions joined by " + ".
std::string method_description(const std::string& spec);

}  // namespace astraea
