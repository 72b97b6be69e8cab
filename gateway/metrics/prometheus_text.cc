#include "gateway/metrics/prometheus_text.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace rg::gateway {

namespace {

void append_escaped(std::string& out, std::string_view text, bool quotes) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

void PrometheusText::family(std::string_view name, Type type, std::string_view help) {
  name_ = name;
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  append_escaped(text_, help, false);
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += type == Type::kCounter ? " counter\n"
           : type == Type::kGauge ? " gauge\n"
                                  : " histogram\n";
}

void PrometheusText::name_and_labels(std::string_view labels, std::string_view suffix) {
  text_ += name_;
  text_ += suffix;
  if (!labels.empty()) {
    text_ += '{';
    text_ += labels;
    text_ += '}';
  }
  text_ += ' ';
}

void PrometheusText::sample(std::string_view labels, uint64_t value, std::string_view suffix) {
  name_and_labels(labels, suffix);
  char number[24];
  std::snprintf(number, sizeof number, "%" PRIu64 "\n", value);
  text_ += number;
}

void PrometheusText::sample(std::string_view labels, double value, std::string_view suffix) {
  name_and_labels(labels, suffix);
  char number[40];
  if (std::isinf(value)) {
    std::snprintf(number, sizeof number, "%s\n", value > 0 ? "+Inf" : "-Inf");
  } else {
    std::snprintf(number, sizeof number, "%.12g\n", value);
  }
  text_ += number;
}

std::string PrometheusText::label(std::string_view key, std::string_view value) {
  std::string out(key);
  out += "=\"";
  append_escaped(out, value, true);
  out += '"';
  return out;
}

}  // namespace rg::gateway
