#include "common/canary.h"

#include "common/canary_selected.h"

namespace rmq::common {

std::string_view to_string(Canary c) {
  for (const auto& [k, name] : kCanaries)
    if (k == c) return name;
  return "none";
}

Canary selected_canary() {
  const std::string_view name = RMQ_CANARY_SELECTED;
  for (const auto& [k, n] : kCanaries)
    if (n == name) return k;
  return Canary::none;
}

}  // namespace rmq::common
