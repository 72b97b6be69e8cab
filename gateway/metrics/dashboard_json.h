#pragma once
// The dashboard's once-a-second figures (GET /dashboard.json on the admin listener): the
// snapshot's totals and gauges as they are (the page turns counters into rates), latency
// quantiles, per-shard figures, and the process' own.

#include <string>

#include "gateway/metrics/metrics_snapshot.h"
#include "gateway/metrics/process_figures.h"

namespace rg::gateway {

std::string dashboard_json(const MetricsSnapshot& s, const ProcessFigures& process,
                           const char* version);

}  // namespace rg::gateway
