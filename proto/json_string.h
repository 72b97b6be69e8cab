#pragma once
// A JSON string literal: quotes around the text, with '"', '\\' and control characters
// escaped (the text is UTF-8 already: nothing else needs escaping).

#include <string>
#include <string_view>

namespace rg::proto {

void append_json_string(std::string& out, std::string_view text);
// The reverse, for what append_json_string wrote (quotes included): the text again. Only
// its escapes (\" \\ \u00XX) are read back; anything else is copied as it is.
void unescape_json_string(std::string_view literal, std::string& out);
size_t unescaped_json_string_size(std::string_view literal) noexcept;
// The same, written at `out` (room for unescaped_json_string_size bytes); returns the size.
size_t write_unescaped_json_string(std::string_view literal, char* out) noexcept;

}  // namespace rg::proto
