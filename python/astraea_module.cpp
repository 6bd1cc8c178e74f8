// The `astraea` Python module's native part (_astraea): experiments from TOML text with --set
// style overrides, each round's record handed to a Python callback as it finishes (returning False
// stops the run after that round; Ctrl-C stops it cleanly there too), the final weights as NumPy
// arrays, and the planning blocks on their own — partitioning, augmentation ratios, scheduling.
// The GIL is released while C++ works. python/astraea/__init__.py is the Python face of it.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <spdlog/spdlog.h>

#include <optional>

#include "astraea/data/augmentation.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/experiment/experiment.hpp"
#include "astraea/fl/mediator_scheduler.hpp"
#include "astraea/fl/schedule_quality.hpp"
#include "astraea/fl/synthetic_population.hpp"
#include "astraea/io/config.hpp"
#include "astraea/io/run_report.hpp"

namespace py = pybind11;
using namespace astraea;

namespace {

py::object to_python(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

py::dict outcome_dict(const RunOutcome& o) {
  py::dict d;
  d["summary"] = to_python(summary_to_json(o.summary));
  d["last_round"] = o.last_round;
  d["stopped"] = o.stopped;
  d["diverged_round"] = o.diverged_round;
  d["diverged"] = o.diverged;
  d["backend"] = o.backend;
  py::dict weights;
  for (const ParamTensor& t : o.tensors) {
    py::array_t<float> a(std::vector<py::ssize_t>(t.shape.begin(), t.shape.end()));
    std::copy_n(o.params.data() + t.offset, t.size, a.mutable_data());
    weights[py::str(t.name)] = a;
  }
  d["weights"] = weights;
  return d;
}

// An experiment: data, partition and backend loaded once; run() as often as wanted.
class PyExperiment {
 public:
  PyExperiment(const std::string& toml, const std::string& source, const std::vector<std::string>& overrides)
      : config_(parse_config(toml, source, overrides)) {
    py::gil_scoped_release release;
    experiment_ = std::make_unique<Experiment>(config_);
  }

  py::dict run(const std::string& out, bool resume, const std::function<bool(py::dict)>& on_round) {
    RunOptions o;
    o.out = out;
    o.resume = resume;
    o.stop_on_signal = false;  // Python owns SIGINT: the callback checks it
    // A Python exception in the callback, or Ctrl-C (a pending KeyboardInterrupt), stops the run
    // after the round in flight; it is raised once the outputs are written.
    std::optional<py::error_already_set> pending;
    o.on_round = [&](const RoundResult& r) {
      py::gil_scoped_acquire acquire;
      try {
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
        return !on_round || on_round(to_python(round_to_json(r)).cast<py::dict>());
      } catch (py::error_already_set& e) {
        pending.emplace(std::move(e));
        return false;
      }
    };
    RunOutcome outcome;
    {
      py::gil_scoped_release release;
      outcome = experiment_->run(o);
    }
    if (pending) throw std::move(*pending);
    return outcome_dict(outcome);
  }

  py::dict config() const { return to_python(nlohmann::json::parse(config_as_json(config_))).cast<py::dict>(); }
  py::array_t<int32_t> histograms() const {
    const ClientStore& s = experiment_->clients();
    py::array_t<int32_t> a({s.num_clients(), int64_t(s.classes())});
    std::copy(s.histogram().begin(), s.histogram().end(), a.mutable_data());
    return a;
  }

 private:
  ExperimentConfig config_;
  std::unique_ptr<Experiment> experiment_;
};

py::dict partition(const std::string& toml, const std::string& source, const std::vector<std::string>& overrides) {
  const ExperimentConfig c = parse_config(toml, source, overrides);
  TrainTest data;
  ClientStore store;
  {
    py::gil_scoped_release release;
    data = load_data(c.data, c.seed);
    store = make_partition(c.partition, data.train.labels, data.train.classes);
  }
  py::array_t<int32_t> h({store.num_clients(), int64_t(store.classes())});
  std::copy(store.histogram().begin(), store.histogram().end(), h.mutable_data());
  py::list samples;
  for (int64_t k = 0; k < store.num_clients(); ++k) {
    py::array_t<int32_t> ids(store.size(k));
    std::copy_n(store.samples(k), store.size(k), ids.mutable_data());
    samples.append(ids);
  }
  py::dict d;
  d["histograms"] = h;
  d["samples"] = samples;
  d["classes"] = store.classes();
  return d;
}

py::array_t<double> ratios(const std::vector<int64_t>& sizes, const std::string& method, double tau_d, double alpha,
                           bool sample_sigma) {
  AugmentationConfig c;
  c.method = method;
  c.tau_d = tau_d;
  c.alpha = alpha;
  c.sample_sigma = sample_sigma;
  const std::vector<double> r = augmentation_ratios(sizes, c);
  return py::array_t<double>(py::ssize_t(r.size()), r.data());
}

using Histograms = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;

// `astraea schedule`'s synthetic clients: Dirichlet(skew) label mixes, sizes 1 + lognormal.
py::array_t<int32_t> synthetic(int64_t clients, int classes, double skew, double median_size, double size_sigma,
                               uint64_t seed) {
  PopulationSpec p;
  p.clients = clients;
  p.classes = classes;
  p.skew = skew;
  p.median_size = median_size;
  p.size_sigma = size_sigma;
  p.seed = seed;
  std::vector<int32_t> counts;
  {
    py::gil_scoped_release release;
    counts = synthetic_histograms(p);
  }
  py::array_t<int32_t> h({clients, int64_t(classes)});
  std::copy(counts.begin(), counts.end(), h.mutable_data());
  return h;
}

std::vector<int64_t> ids_or_range(const Histograms& h, std::vector<int64_t> ids) {
  if (h.ndim() != 2) throw py::value_error("histograms: expected a 2-D array [clients x classes]");
  if (ids.empty()) {
    ids.resize(size_t(h.shape(0)));
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = int64_t(i);
  }
  if (ids.size() != size_t(h.shape(0))) throw py::value_error("ids: one id per histogram row");
  if (!std::is_sorted(ids.begin(), ids.end()) || std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
    throw py::value_error("ids: must be strictly ascending");
  }
  return ids;
}

MediatorGroups schedule(const Histograms& h, int gamma, const std::string& algorithm, std::vector<int64_t> ids,
                        uint64_t seed, const std::string& balance, int balance_passes, uint32_t round,
                        double balance_worst_ratio) {
  ids = ids_or_range(h, std::move(ids));
  SchedulerOptions o;
  o.gamma = gamma;
  o.seed = seed;
  o.balance = balance;
  o.balance_passes = balance_passes;
  o.balance_worst_ratio = balance_worst_ratio;
  const auto scheduler = make_scheduler(algorithm, o);
  py::gil_scoped_release release;
  return scheduler->schedule_rows(h.data(), int(h.shape(1)), ids, round);
}

// "balanced"'s search on another system's groups (client ids, as `ids` names the rows): each
// mediator's clients come back in ascending id order, like the schedulers' chains.
MediatorGroups balance(const Histograms& h, const MediatorGroups& groups, int gamma, const std::string& objective,
                       int passes, std::vector<int64_t> ids, uint64_t seed, uint32_t round, std::vector<double> target,
                       int threads, double worst_ratio) {
  ids = ids_or_range(h, std::move(ids));
  MediatorGroups positions = groups;
  try {
    chains_to_positions(positions, ids);
  } catch (const Error& e) {
    throw py::value_error(std::string("groups: ") + e.what());
  }
  BalanceOptions o;
  o.gamma = gamma;
  o.objective = objective;
  o.passes = passes;
  o.seed = seed;
  o.round = round;
  o.target = std::move(target);
  o.threads = threads;
  o.worst_ratio = worst_ratio;
  MediatorGroups out;
  {
    py::gil_scoped_release release;
    out = balance_mediators(h.data(), int(h.shape(1)), positions, o);
  }
  positions_to_chains(out, ids);
  return out;
}

py::dict quality(const Histograms& h, const MediatorGroups& groups, std::vector<int64_t> ids) {
  ids = ids_or_range(h, std::move(ids));
  std::unordered_map<int64_t, size_t> row;
  for (size_t i = 0; i < ids.size(); ++i) row[ids[i]] = i;
  const int classes = int(h.shape(1));
  const ScheduleQuality q = schedule_quality(groups, classes, [&](int64_t k) {
    const auto it = row.find(k);
    if (it == row.end()) throw py::value_error("groups: client " + std::to_string(k) + " is not among the ids");
    return h.data() + it->second * size_t(classes);
  });
  py::dict d;
  d["mean_kl"] = q.mean_kl;
  d["weighted_kl"] = q.weighted_kl;
  d["max_kl"] = q.max_kl;
  d["floor_kl"] = q.floor_kl;
  d["gap"] = q.gap();
  return d;
}

}  // namespace

PYBIND11_MODULE(_astraea, m) {
  m.doc() = "astraea-sim's native module; use the `astraea` package";
  py::register_exception<Error>(m, "Error", PyExc_ValueError);
  m.def("set_log_level", [](const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); });
  py::class_<PyExperiment>(m, "Experiment")
      .def(py::init<const std::string&, const std::string&, const std::vector<std::string>&>())
      .def("run", &PyExperiment::run, py::arg("out") = "", py::arg("resume") = false, py::arg("on_round") = nullptr)
      .def("config", &PyExperiment::config)
      .def("histograms", &PyExperiment::histograms);
  m.def("partition", &partition);
  m.def("augmentation_ratios", &ratios, py::arg("class_sizes"), py::arg("method") = "zscore", py::arg("tau_d") = 3.0,
        py::arg("alpha") = 0.67, py::arg("sample_sigma") = false);
  m.def("synthetic_histograms", &synthetic, py::arg("clients"), py::arg("classes") = 10, py::arg("skew") = 0.3,
        py::arg("median_size") = 20.0, py::arg("size_sigma") = 1.0, py::arg("seed") = 1);
  m.def("schedule", &schedule, py::arg("histograms"), py::arg("gamma") = 10, py::arg("algorithm") = "greedy",
        py::arg("ids") = std::vector<int64_t>{}, py::arg("seed") = 1, py::arg("balance") = "mean",
        py::arg("balance_passes") = 2, py::arg("round") = 1, py::arg("balance_worst_ratio") = 0.0);
  m.def("balance", &balance, py::arg("histograms"), py::arg("groups"), py::arg("gamma") = 10, py::arg("objective") = "mean",
        py::arg("passes") = 2, py::arg("ids") = std::vector<int64_t>{}, py::arg("seed") = 1, py::arg("round") = 1,
        py::arg("target") = std::vector<double>{}, py::arg("threads") = 0, py::arg("worst_ratio") = 0.0);
  m.def("schedule_quality", &quality, py::arg("histograms"), py::arg("groups"), py::arg("ids") = std::vector<int64_t>{});
  m.attr("schedulers") = scheduler_registry().names();
}
