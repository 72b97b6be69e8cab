#pragma once
// Prometheus' text exposition format 0.0.4: each family's HELP and TYPE once, then its
// samples; label values escaped; histograms as cumulative buckets ending in +Inf, with
// _sum and _count. Only what /metrics needs, written into one string.

#include <cstdint>
#include <string>
#include <string_view>

namespace rg::gateway {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

class PrometheusText {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Starts a family: its samples follow, before the next family.
  void family(std::string_view name, Type type, std::string_view help);
  // One sample of the current family: `labels` is `key="value",...` without braces
  // (values already escaped, see label()), or empty. `suffix`: _bucket, _sum, _count.
  void sample(std::string_view labels, double value, std::string_view suffix = {});
  void sample(std::string_view labels, uint64_t value, std::string_view suffix = {});

  // `key="value"` with the value escaped (backslash, quote, newline).
  static std::string label(std::string_view key, std::string_view value);

  const std::string& text() const noexcept { return text_; }

 private:
  void name_and_labels(std::string_view labels, std::string_view suffix);

  std::string text_;
  std::string name_;
};

}  // namespace rg::gateway
