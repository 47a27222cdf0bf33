#include "scenarios/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "scenarios/scenario.h"
#include "sim/simulation.h"

namespace rmq::scenarios {
namespace {

namespace h = history;

constexpr double kLeft = 150, kRight = 20, kTop = 40, kLane = 26, kWidth = 1600;

std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

double seconds(rt::Duration d) { return std::chrono::duration<double>(d).count(); }
double seconds(rt::Instant t) { return seconds(t.time_since_epoch()); }

// Lanes by name; history names ("p0", "10.2.0.1@c3") go to their node
// ("producer0", "consumer3") when there is one.
class Lanes {
 public:
  explicit Lanes(const std::vector<std::string>& nodes) {
    for (const auto& n : nodes) add(n);
  }
  size_t of(const std::string& who) {
    if (auto it = index_.find(who); it != index_.end()) return it->second;
    std::string instance = who.substr(who.find('@') == std::string::npos ? 0 : who.find('@') + 1);
    for (const auto& [prefix, node] : {std::pair{"p", "producer"}, std::pair{"c", "consumer"}})
      if (instance.size() > 1 && instance.starts_with(prefix) &&
          instance.find_first_not_of("0123456789", 1) == std::string::npos)
        if (auto it = index_.find(node + instance.substr(1)); it != index_.end()) return index_[who] = it->second;
    if (auto it = index_.find(instance); it != index_.end()) return index_[who] = it->second;
    return index_[who] = add(who);
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  size_t add(const std::string& n) {
    names_.push_back(n);
    return index_[n] = names_.size() - 1;
  }
  std::vector<std::string> names_;
  std::map<std::string, size_t> index_;
};

struct Interval {
  std::string lane;
  double from = 0, to = 0;
  std::string css, label;
};

// The plan's start events paired with what ends them (or the run's end).
std::vector<Interval> intervals(const FaultPlan& plan, double end, double healed, std::vector<Interval>& ticks) {
  std::vector<Interval> out;
  std::map<std::string, size_t> open;  // kind|node|peer -> index in out
  auto key = [](std::string_view kind, const FaultEvent& e) {
    return fmt::format("{}|{}|{}", kind, e.node, e.peer);
  };
  auto start = [&](std::string_view kind, const FaultEvent& e, std::string label) {
    const std::string k = key(kind, e);
    if (open.count(k)) return;
    open[k] = out.size();
    out.push_back({e.node, seconds(e.at), end, std::string(kind), std::move(label)});
    if (!e.peer.empty()) {
      open[k + "|peer"] = out.size();
      out.push_back({e.peer, seconds(e.at), end, std::string(kind), out.back().label});
    }
  };
  auto stop = [&](std::string_view kind, const FaultEvent& e) {
    const std::string k = key(kind, e);
    for (const std::string& which : {k, k + "|peer"})
      if (auto it = open.find(which); it != open.end()) {
        out[it->second].to = seconds(e.at);
        open.erase(it);
      }
  };
  std::set<std::string> killed;
  for (const auto& e : plan.events) {
    const std::string text = to_string(e);
    if (e.kind == FaultKind::kill) killed.insert(e.node);
    switch (e.kind) {
      case FaultKind::crash:
      case FaultKind::power_loss:
      case FaultKind::kill: start("down", e, text.substr(0, text.size() - 1)); break;
      case FaultKind::restart: stop("down", e); break;
      case FaultKind::pause: start("paused", e, "paused"); break;
      case FaultKind::resume: stop("paused", e); break;
      case FaultKind::partition: start("partition", e, text.substr(0, text.size() - 1)); break;
      case FaultKind::heal: stop("partition", e); break;
      case FaultKind::clog: start("clog", e, text.substr(0, text.size() - 1)); break;
      case FaultKind::unclog: stop("clog", e); break;
      case FaultKind::disk_full: start("disk_full", e, "disk full"); break;
      case FaultKind::disk_free: stop("disk_full", e); break;
      case FaultKind::latency:
      case FaultKind::slow_disk:
      case FaultKind::fsync_stall:
        stop(to_string(e.kind), e);
        if (e.delay > rt::Duration::zero()) start(to_string(e.kind), e, text.substr(0, text.size() - 1));
        break;
      case FaultKind::loss:
      case FaultKind::read_corruption:
        stop(to_string(e.kind), e);
        if (e.rate > 0) start(to_string(e.kind), e, text.substr(0, text.size() - 1));
        break;
      case FaultKind::clock_drift:
        stop("clock_drift", e);
        if (e.ppm != 0) start("clock_drift", e, text.substr(0, text.size() - 1));
        break;
      case FaultKind::reset:
      case FaultKind::clock_jump:
        ticks.push_back({e.node, seconds(e.at), seconds(e.at), "fault-tick", text.substr(0, text.size() - 1)});
        if (!e.peer.empty())
          ticks.push_back({e.peer, seconds(e.at), seconds(e.at), "fault-tick", text.substr(0, text.size() - 1)});
        break;
    }
  }
  // The scenario heals what is still open when its faults are over (the
  // plan does not say so); a node killed for good stays down.
  for (const auto& [k, i] : open)
    if (!k.starts_with("down|") || !killed.count(out[i].lane)) out[i].to = std::min(out[i].to, healed);
  return out;
}

// When a violation happened: its message's first delivery, else the end of
// its send, else the run's end.
double violation_time(const Timeline& t, const h::Violation& v, double end) {
  if (!v.key.empty()) {
    std::optional<double> first;
    for (const auto& d : t.history.deliveries)
      if (d.key == v.key && (!first || seconds(d.at) < *first)) first = seconds(d.at);
    if (first) return *first;
    for (const auto& s : t.history.sends)
      if (s.key == v.key) return seconds(s.completed);
  }
  return end;
}

const char* kStyle = R"(
body{font-family:sans-serif;margin:8px;background:#fafafa}
#wrap{overflow:hidden;border:1px solid #ccc;background:#fff;cursor:grab}
.lane-bg{fill:#f4f6f8}.lane-bg.odd{fill:#eceff2}
.lane-label{font-size:12px;fill:#222}
.down{fill:#d9534f;opacity:.28}.paused{fill:#f0ad4e;opacity:.3}.partition{fill:#5b6bd6;opacity:.22}
.clog,.latency,.loss{fill:#9b59b6;opacity:.2}.slow_disk,.fsync_stall,.disk_full,.read_corruption{fill:#8d6e63;opacity:.3}
.clock_drift{fill:#16a085;opacity:.15}.fault-tick{stroke:#5b6bd6;stroke-width:2}
.send{stroke:#2e7d32;stroke-width:3}.send.failed{stroke:#999}.send.unknown{stroke:#c9a227}
.deliver{fill:#1565c0}.hop{stroke:#90a4ae;stroke-width:.6;opacity:.5}
.rebalance{stroke:#6d4c41;stroke-width:1.5}.restart{stroke:#000;stroke-width:2}.lock.taken{stroke:#1a237e;stroke-width:2}.lock.dropped{stroke:#9fa8da;stroke-width:2}
.offending{stroke:#e00!important;fill:#e00!important;opacity:1!important;stroke-width:3}
.failure{stroke:#e00;stroke-width:2}.failure-label{fill:#e00;font-size:11px}
.axis{font-size:10px;fill:#555}
#info{font-size:13px;margin:6px 0}
li.failure-text{color:#b00;font-family:monospace;font-size:12px}
)";

// Wheel zooms around the pointer; a drag pans. The SVG's viewBox moves, the
// lane labels stay (they are outside the zoomed group).
const char* kScript = R"(
(function(){
  const svg=document.getElementById('timeline');const g=document.getElementById('zoom');
  const left=+svg.dataset.left, width=+svg.dataset.width;
  let scale=1, shift=0, drag=null;
  function apply(){g.setAttribute('transform','translate('+(left+shift)+',0) scale('+scale+',1) translate('+(-left)+',0)');
    document.querySelectorAll('#zoom .keep').forEach(e=>e.setAttribute('transform','scale('+(1/scale)+',1)'));}
  svg.addEventListener('wheel',e=>{e.preventDefault();const r=svg.getBoundingClientRect();const x=e.clientX-r.left;
    const f=e.deltaY<0?1.25:0.8;const ns=Math.min(400,Math.max(1,scale*f));shift=(x-left)-(x-left-shift)*ns/scale;scale=ns;
    if(scale===1)shift=0;apply();},{passive:false});
  svg.addEventListener('mousedown',e=>{drag={x:e.clientX,s:shift};});
  window.addEventListener('mouseup',()=>{drag=null;});
  window.addEventListener('mousemove',e=>{if(drag){shift=drag.s+(e.clientX-drag.x);apply();}});
  document.getElementById('reset').addEventListener('click',()=>{scale=1;shift=0;apply();});
  document.body.dataset.ready='yes';
})();
)";

}  // namespace

std::string timeline_html(const Timeline& t) {
  const double end = std::max(seconds(t.end), 0.001);
  Lanes lanes(t.nodes);
  // Messages: the first ones, and every one a failure names.
  std::set<std::string> offending;
  for (const auto& v : t.violations)
    if (!v.key.empty()) offending.insert(v.key);
  std::set<std::string> drawn;
  for (const auto& s : t.history.sends)
    if (drawn.size() < kMessagesDrawnMax || offending.count(s.key)) drawn.insert(s.key);
  const size_t left_out = t.history.sends.size() - std::min(t.history.sends.size(), drawn.size());
  // Lanes of every client first, so that the SVG's height is known.
  for (const auto& s : t.history.sends) (void)lanes.of(s.producer);
  for (const auto& d : t.history.deliveries) (void)lanes.of(d.consumer);
  for (const auto& r : t.history.rebalances) (void)lanes.of(r.consumer);
  for (const auto& r : t.history.restarts) (void)lanes.of(r.consumer);
  for (const auto& l : t.history.locks) (void)lanes.of(l.consumer);
  const double plot = kWidth - kLeft - kRight;
  auto x = [&](double s) { return kLeft + plot * std::clamp(s / end, 0.0, 1.0); };
  auto lane_y = [&](size_t i) { return kTop + kLane * static_cast<double>(i); };
  const double height = kTop + kLane * static_cast<double>(lanes.names().size()) + 30;

  std::string body;
  auto add = [&](std::string s) { body += s; };
  // Lanes.
  for (size_t i = 0; i < lanes.names().size(); ++i)
    add(fmt::format(R"(<rect class="lane-bg{}" x="{}" y="{}" width="{}" height="{}"/>)", i % 2 ? " odd" : "", kLeft,
                    lane_y(i), plot, kLane - 2));
  std::string zoomed;
  auto z = [&](std::string s) { zoomed += s; };
  // Faults.
  std::vector<Interval> ticks;
  const double healed = t.history.healed_at ? seconds(*t.history.healed_at) : end;
  for (const auto& f : intervals(t.plan, end, healed, ticks)) {
    const double y = lane_y(lanes.of(f.lane));
    z(fmt::format(R"(<rect class="fault {}" x="{:.2f}" y="{}" width="{:.2f}" height="{}"><title>{} ({:.3f}s - {:.3f}s)</title></rect>)",
                  f.css, x(f.from), y, std::max(1.0, x(f.to) - x(f.from)), kLane - 2, esc(f.label), f.from, f.to));
  }
  for (const auto& f : ticks) {
    const double y = lane_y(lanes.of(f.lane));
    z(fmt::format(R"(<line class="{}" x1="{:.2f}" x2="{:.2f}" y1="{}" y2="{}"><title>{}</title></line>)", f.css,
                  x(f.from), x(f.from), y, y + kLane - 2, esc(f.label)));
  }
  // Rebalances and restarts.
  for (const auto& r : t.history.rebalances) {
    const double y = lane_y(lanes.of(r.consumer)), at = seconds(r.at);
    std::string owned;
    for (const auto& q : r.owned) owned += (owned.empty() ? "" : ", ") + h::to_string(q);
    z(fmt::format(R"(<line class="rebalance" x1="{:.2f}" x2="{:.2f}" y1="{}" y2="{}"><title>{} rebalance of {} at {:.3f}s: owns {}</title></line>)",
                  x(at), x(at), y, y + 8, esc(r.consumer), esc(r.group), at, esc(owned.empty() ? "nothing" : owned)));
  }
  for (const auto& r : t.history.restarts) {
    const double y = lane_y(lanes.of(r.consumer)), at = seconds(r.at);
    z(fmt::format(R"(<line class="restart" x1="{:.2f}" x2="{:.2f}" y1="{}" y2="{}"><title>{} restarted at {:.3f}s</title></line>)",
                  x(at), x(at), y, y + kLane - 2, esc(r.consumer), at));
  }
  // Lock changes (orderly): a short tick at the lane's foot, dark when taken.
  for (const auto& l : t.history.locks) {
    const double y = lane_y(lanes.of(l.consumer)) + kLane - 2, at = seconds(l.at);
    z(fmt::format(R"(<line class="lock {}" x1="{:.2f}" x2="{:.2f}" y1="{}" y2="{}"><title>{} {} the lock of {} ({}) at {:.3f}s</title></line>)",
                  l.held ? "taken" : "dropped", x(at), x(at), y - 8, y, esc(l.consumer), esc(l.why), esc(h::to_string(l.queue)),
                  esc(l.group), at));
  }
  // Messages: the send as a bar, a hop to each delivery, the delivery as a dot.
  std::map<std::string, const h::Send*> send_of;
  for (const auto& s : t.history.sends) {
    if (!drawn.count(s.key)) continue;
    send_of[s.key] = &s;
    const double y = lane_y(lanes.of(s.producer)) + 6;
    const char* outcome = s.outcome == h::SendOutcome::acked ? "acked" : s.outcome == h::SendOutcome::failed ? "failed" : "unknown";
    z(fmt::format(R"(<line class="send {}{}" data-key="{}" x1="{:.2f}" x2="{:.2f}" y1="{}" y2="{}"><title>send {} by {}: {} at {}{} ({:.3f}s - {:.3f}s)</title></line>)",
                  outcome, offending.count(s.key) ? " offending" : "", esc(s.key), x(seconds(s.invoked)),
                  std::max(x(seconds(s.completed)), x(seconds(s.invoked)) + 1), y, y, esc(s.key), esc(s.producer),
                  outcome, esc(h::to_string(s.queue)), s.queue_offset >= 0 ? fmt::format(" offset {}", s.queue_offset) : "",
                  seconds(s.invoked), seconds(s.completed)));
  }
  for (const auto& d : t.history.deliveries) {
    auto s = send_of.find(d.key);
    if (s == send_of.end() && !offending.count(d.key)) continue;
    const double y = lane_y(lanes.of(d.consumer)) + kLane - 8, at = seconds(d.at);
    const bool bad = offending.count(d.key) != 0;
    if (s != send_of.end())
      z(fmt::format(R"(<line class="hop{}" x1="{:.2f}" x2="{:.2f}" y1="{}" y2="{}"/>)", bad ? " offending" : "",
                    x(seconds(s->second->completed)), x(at), lane_y(lanes.of(s->second->producer)) + 6, y));
    z(fmt::format(R"(<circle class="deliver{}" data-key="{}" cx="{:.2f}" cy="{}" r="2.5"><title>{} delivered to {}/{} from {} offset {} (reconsume {}) at {:.3f}s</title></circle>)",
                  bad ? " offending" : "", esc(d.key), x(at), y, esc(d.key), esc(d.group), esc(d.consumer),
                  esc(h::to_string(d.queue)), d.queue_offset, d.reconsume_times, at));
  }
  // Failures.
  std::string failure_list;
  for (size_t i = 0; i < t.violations.size(); ++i) {
    const auto& v = t.violations[i];
    const double at = violation_time(t, v, end);
    z(fmt::format(R"(<line id="failure-{}" class="failure" x1="{:.2f}" x2="{:.2f}" y1="{}" y2="{}"><title>{}: {}</title></line>)",
                  i, x(at), x(at), kTop - 12, height - 30, esc(h::to_string(v.kind)), esc(v.description)));
    z(fmt::format(R"(<text class="failure-label keep" x="{:.2f}" y="{}">{} {}</text>)", x(at) + 2, kTop - 14, i + 1,
                  esc(h::to_string(v.kind))));
  }
  // A scenario's own checks (not a history checker) name no message: each
  // is marked when it was found (Rig::fail), else at the run's end.
  if (t.violations.empty())
    for (size_t i = 0; i < t.failures.size(); ++i) {
      const auto when = t.failure_times.find(i);
      const bool timed = when != t.failure_times.end();
      const double at = timed ? seconds(when->second) : end;
      z(fmt::format(R"(<line id="failure-{}" class="failure" x1="{:.2f}" x2="{:.2f}" y1="{}" y2="{}"><title>{}{}</title></line>)",
                    i, x(at), x(at), kTop - 12, height - 30, esc(t.failures[i]),
                    timed ? fmt::format(" at {:.3f}s", at) : std::string(" (time not recorded)")));
    }
  for (const auto& f : t.failures) failure_list += "<li class=\"failure-text\">" + esc(f) + "</li>";
  // Axis and labels (outside the zoomed group).
  std::string fixed;
  for (size_t i = 0; i < lanes.names().size(); ++i)
    fixed += fmt::format(R"(<text class="lane-label" x="6" y="{}">{}</text>)", lane_y(i) + 16, esc(lanes.names()[i]));
  for (int i = 0; i <= 10; ++i) {
    const double s = end * i / 10;
    fixed += fmt::format(R"(<text class="axis" x="{:.2f}" y="{}">{:.1f}s</text>)", x(s), height - 12, s);
  }
  const std::string title = fmt::format("{} seed {}", t.scenario, t.seed);
  std::string html;
  html += "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + esc(title) + "</title><style>" + kStyle +
          "</style></head><body>\n";
  html += fmt::format("<h2>{}</h2><div id=\"info\">{} lanes, {} fault intervals, {} sends ({} drawn{}), {} deliveries, "
                      "{} lock changes, {} failure(s). Wheel: zoom; drag: pan; <button id=\"reset\">reset zoom</button></div>\n",
                      esc(title), lanes.names().size(), t.plan.events.size(), t.history.sends.size(), drawn.size(),
                      left_out > 0 ? fmt::format(", {} left out", left_out) : "", t.history.deliveries.size(),
                      t.history.locks.size(), t.failures.size());
  html += fmt::format(R"(<div id="wrap"><svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{}" height="{:.0f}" data-left="{}" data-width="{}">)",
                      kWidth, height, kLeft, plot);
  html += "<clipPath id=\"plot\"><rect x=\"" + fmt::format("{}", kLeft) + "\" y=\"0\" width=\"" +
          fmt::format("{}", plot) + "\" height=\"" + fmt::format("{:.0f}", height) + "\"/></clipPath>";
  html += body + "<g clip-path=\"url(#plot)\"><g id=\"zoom\">" + zoomed + "</g></g>" + fixed + "</svg></div>\n";
  html += failure_list.empty() ? "<p>Every checker passed.</p>\n" : "<h3>Failures</h3><ol>" + failure_list + "</ol>\n";
  html += std::string("<script>") + kScript + "</script>\n</body></html>\n";
  return html;
}

std::shared_ptr<const Timeline> timeline_of(sim::Simulation& sim, const RunResult& out, const history::History& hist,
                                            const std::vector<history::Violation>& violations,
                                            const std::map<size_t, rt::Instant>& failure_times) {
  auto tl = std::make_shared<Timeline>();
  for (sim::NodeId i = 0; i < sim.node_count(); ++i) tl->nodes.push_back(sim.node(i).name());
  tl->plan = out.plan;
  tl->history = hist;
  tl->violations = violations;
  tl->failures = out.failures;
  tl->failure_times = failure_times;
  tl->end = sim.now();
  return tl;
}

}  // namespace rmq::scenarios
