#pragma once
// GET /metrics: the snapshot and the process' figures in Prometheus' text format (see
// docs/OPERATIONS.md for the list; `promtool check metrics` finds nothing in it).

#include <string>
#include <string_view>

#include "gateway/metrics/metrics_snapshot.h"
#include "gateway/metrics/process_figures.h"

namespace rg::gateway {

std::string metrics_text(const MetricsSnapshot& snapshot, const ProcessFigures& process,
                         std::string_view version);

}  // namespace rg::gateway
