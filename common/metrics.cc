#include "common/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/config.h"
#include "runtime/assert.h"

namespace rmq::common::metrics {
namespace {

bool valid_name(std::string_view n, bool label) {
  if (n.empty() || (label && n.starts_with("__"))) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::counter: return "counter";
    case Kind::gauge: return "gauge";
    case Kind::histogram: return "histogram";
  }
  return "untyped";
}

// "a=\"1\",b=\"2\"" of two label texts, either possibly empty.
std::string join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return fmt::format("{},{}", a, b);
}

void sample(std::string& out, std::string_view name, std::string_view labels, std::string_view value) {
  if (labels.empty())
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
  else
    fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
}

// The help text as the format escapes it (\\ and \n).
std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

}  // namespace

Histogram::Histogram(const std::vector<double>* bounds) : bounds_(bounds), counts_(bounds->size() + 1, 0) {}

void Histogram::observe(double v) {
  const auto at = std::lower_bound(bounds_->begin(), bounds_->end(), v);  // first bound >= v
  ++counts_[static_cast<size_t>(at - bounds_->begin())];
  sum_ += v;
  ++count_;
}

void Scrape::set(std::string_view family, const Labels& labels, double value) {
  const auto& f = registry_.families_.find(family);
  RMQ_ASSERT_MSG(f != registry_.families_.end(), std::string(family).c_str());
  RMQ_ASSERT(f->second.kind != Kind::histogram);
  auto& per = samples_[std::string(family)];
  per[registry_.labels_text(labels)] = value;
}

Registry::Registry(Labels constant) : constant_(labels_text(constant)) {}

void Registry::declare(std::string_view name, Kind kind, std::string_view help, std::vector<double> bounds) {
  RMQ_ASSERT_MSG(valid_name(name, false), std::string(name).c_str());
  RMQ_ASSERT(kind == Kind::histogram || bounds.empty());
  RMQ_ASSERT(std::is_sorted(bounds.begin(), bounds.end()));
  auto it = families_.find(name);
  if (it != families_.end()) {
    RMQ_ASSERT_MSG(it->second.kind == kind && it->second.bounds == bounds, std::string(name).c_str());
    return;
  }
  families_.emplace(std::string(name), Family{kind, std::string(help), std::move(bounds), {}, {}});
}

const Registry::Family& Registry::family(std::string_view name, Kind kind) const {
  auto it = families_.find(name);
  RMQ_ASSERT_MSG(it != families_.end(), std::string(name).c_str());
  RMQ_ASSERT_MSG(it->second.kind == kind, std::string(name).c_str());
  return it->second;
}

Counter& Registry::counter(std::string_view name, const Labels& labels) {
  auto& f = const_cast<Family&>(family(name, Kind::counter));
  return f.counters[labels_text(labels)];
}

Histogram& Registry::histogram(std::string_view name, const Labels& labels) {
  auto& f = const_cast<Family&>(family(name, Kind::histogram));
  auto& h = f.histograms[labels_text(labels)];
  if (!h) h = std::make_unique<Histogram>(&f.bounds);
  return *h;
}

std::string Registry::labels_text(const Labels& labels) const {
  std::string out;
  for (const auto& [k, v] : labels) {
    RMQ_ASSERT_MSG(valid_name(k, true), k.c_str());
    if (!out.empty()) out += ',';
    fmt::format_to(std::back_inserter(out), "{}=\"{}\"", k, escape(v));
  }
  return out;
}

std::string Registry::escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Registry::number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string Registry::render() const {
  Scrape scrape(*this);
  for (const auto& c : collectors_) c(scrape);
  std::string out;
  for (const auto& [name, f] : families_) {
    auto gathered = scrape.samples_.find(name);
    const bool collected = gathered != scrape.samples_.end();
    if (f.counters.empty() && f.histograms.empty() && !collected) continue;  // nothing to say yet
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, escape_help(f.help), name,
                   kind_name(f.kind));
    // Fed and collected samples in one label order (a collected one wins).
    std::map<std::string_view, double> values;
    for (const auto& [labels, c] : f.counters) values[labels] = c.value;
    if (collected)
      for (const auto& [labels, v] : gathered->second) values[labels] = v;
    for (const auto& [labels, v] : values) sample(out, name, join(constant_, labels), number(v));
    for (const auto& [labels, h] : f.histograms) {
      const std::string base = join(constant_, labels);
      uint64_t cumulative = 0;
      const std::string bucket = name + "_bucket";
      for (size_t i = 0; i <= f.bounds.size(); ++i) {
        cumulative += h->counts()[i];
        const std::string le = i < f.bounds.size() ? number(f.bounds[i]) : "+Inf";
        sample(out, bucket, join(base, fmt::format("le=\"{}\"", le)), fmt::format("{}", cumulative));
      }
      sample(out, name + "_sum", base, number(h->sum()));
      sample(out, name + "_count", base, fmt::format("{}", h->count()));
    }
  }
  return out;
}

}  // namespace rmq::common::metrics

namespace rmq::common {

rt::Result<metrics::ExporterConfig> exporter_config_from(Properties& props) {
  metrics::ExporterConfig c;
  const std::string type = props.get_string("metricsExporterType", "DISABLE");
  if (type == "PROM") {
    c.prometheus = true;
  } else if (type != "DISABLE") {
    return rt::Error(rt::Errc::invalid_argument,
                     fmt::format("metricsExporterType: expected DISABLE or PROM, got '{}'{}", type,
                                 type == "OTLP_GRPC" || type == "LOG" ? " (not supported here)" : ""));
  }
  c.host = props.get_string("metricsPromExporterHost", "");
  if (!c.host.empty() && c.host.find_first_of(": \t") != std::string::npos)
    return rt::Error(rt::Errc::invalid_argument,
                     fmt::format("metricsPromExporterHost: '{}' is not a host name or address", c.host));
  auto port = props.get_int("metricsPromExporterPort", c.port, 1, 65535);
  if (!port) return port.error();
  c.port = static_cast<int32_t>(*port);
  return c;
}

}  // namespace rmq::common
