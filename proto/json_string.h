#pragma once
// A JSON string literal: quotes around the text, with '"', '\\' and control characters
// escaped (the text is UTF-8 already: nothing else needs escaping).

#include <string>
#include <string_view>

namespace rg::proto {

void append_json_string(std::string& out, std::string_view text);

}  // namespace rg::proto
