// Metrics of one node, in Prometheus's text exposition format (0.0.4).
//
// A Registry holds the families a node's components declare (a name, a
// kind, a help line and, for histograms, the bucket bounds) and their
// samples. Counters and histograms are fed as things happen: `counter()` and
// `histogram()` make a sample on first use and return a reference that stays
// valid for the registry's life, so a hot path can keep it. Gauges (and any
// value the component already keeps, such as a store position) are read at
// scrape time by collectors. `render()` writes every family: help and type,
// then its samples ordered by their labels, each with the registry's
// constant labels first (cluster, node_type, node_id). The same state
// renders the same text: nothing depends on addresses or hash order.
//
// Names follow Prometheus's rules ([a-zA-Z_:][a-zA-Z0-9_:]*; label names
// without ':' and not starting "__"); a bad name, an undeclared family or a
// kind mismatch is a bug and asserts. Label values are escaped as the
// format requires. One runtime's tasks use a registry.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::common::metrics {

enum class Kind { counter, gauge, histogram };

// Label name and value pairs, in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

struct Counter {
  double value = 0;
  void add(double delta) { value += delta; }
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);  // ascending upper bounds, +Inf implied
  void observe(double v);
  const std::vector<double>& bounds() const { return *bounds_; }
  // Observations at or below bounds()[i] and above the bound before it;
  // the last entry counts those above every bound.
  const std::vector<uint64_t>& counts() const { return counts_; }
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  const std::vector<double>* bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Registry;

// What collectors write into at scrape time.
class Scrape {
 public:
  // A sample of a declared gauge or counter family.
  void set(std::string_view family, const Labels& labels, double value);

 private:
  friend class Registry;
  explicit Scrape(const Registry& r) : registry_(r) {}
  const Registry& registry_;
  std::map<std::string, std::map<std::string, double>, std::less<>> samples_;  // family -> labels text -> value
};

class Registry {
 public:
  using Collector = std::function<void(Scrape&)>;

  explicit Registry(Labels constant = {});
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Declares a family; a second declaration of the same name must agree.
  void declare(std::string_view name, Kind kind, std::string_view help, std::vector<double> bounds = {});
  Counter& counter(std::string_view family, const Labels& labels);
  Histogram& histogram(std::string_view family, const Labels& labels);
  // Collectors run in the order added, at every render().
  void add_collector(Collector c) { collectors_.push_back(std::move(c)); }

  // The exposition text. Runs the collectors, which must not suspend (a
  // scrape reads the node's state as it stands).
  std::string render() const;

  // The format's escaping of a label value (\\, \" and \n).
  static std::string escape(std::string_view value);
  // A sample value as the format writes it ("12", "0.25", "+Inf", "NaN").
  static std::string number(double v);

 private:
  friend class Scrape;
  struct Family {
    Kind kind;
    std::string help;
    std::vector<double> bounds;
    std::map<std::string, Counter, std::less<>> counters;  // labels text -> sample
    std::map<std::string, std::unique_ptr<Histogram>, std::less<>> histograms;
  };
  const Family& family(std::string_view name, Kind kind) const;
  std::string labels_text(const Labels& labels) const;  // without the constant labels, no braces

  std::string constant_;  // the constant labels' text
  std::map<std::string, Family, std::less<>> families_;
  std::vector<Collector> collectors_;
};

// The HTTP content type of render()'s text.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Where a node serves its metrics: RocketMQ 5's broker.conf keys, which the
// namesrv reads too.
struct ExporterConfig {
  bool prometheus = false;  // metricsExporterType: PROM, or DISABLE (the default)
  std::string host{};       // metricsPromExporterHost: "" = the node's own default
  int32_t port = 5557;      // metricsPromExporterPort
  std::string address(std::string_view default_host) const {
    return (host.empty() ? std::string(default_host) : host) + ":" + std::to_string(port);
  }
};

}  // namespace rmq::common::metrics

namespace rmq::common {
class Properties;
// The keys above. OTLP_GRPC and LOG (RocketMQ's other exporters) and any
// other value are Errc::invalid_argument naming the key.
rt::Result<metrics::ExporterConfig> exporter_config_from(Properties& props);

}  // namespace rmq::common::metrics
