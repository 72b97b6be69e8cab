#include "proto/envelope/json_envelope.h"

#include "proto/base64.h"
#include "proto/json_string.h"

#include <simdjson.h>
#include <charconv>
#include <cstring>

namespace rg::proto {

namespace od = simdjson::ondemand;

static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING);

namespace {

constexpr int kMaxDataDepth = 64;

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim_right(std::string_view token) {
  while (!token.empty() && is_json_space(token.back())) token.remove_suffix(1);
  return token;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// RFC 8259's number grammar, checked on the token's bytes: -?(0|[1-9][0-9]*)(.[0-9]+)?
// ([eE][+-]?[0-9]+)?. The gateway forwards numbers as they are and never needs their
// value, so an integer of any length is as valid as the grammar says (simdjson's
// get_number() refuses integers past 64 bits).
bool is_json_number(std::string_view token) {
  size_t i = 0, n = token.size();
  if (i < n && token[i] == '-') ++i;
  if (i == n) return false;
  if (token[i] == '0') {
    ++i;
  } else if (is_digit(token[i])) {
    while (i < n && is_digit(token[i])) ++i;
  } else {
    return false;
  }
  if (i < n && token[i] == '.') {
    ++i;
    if (i == n || !is_digit(token[i])) return false;
    while (i < n && is_digit(token[i])) ++i;
  }
  if (i < n && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < n && (token[i] == '+' || token[i] == '-')) ++i;
    if (i == n || !is_digit(token[i])) return false;
    while (i < n && is_digit(token[i])) ++i;
  }
  return i == n;
}

// Walks the whole value so that every byte of it is checked: On-Demand only validates
// what is read, and `data` is forwarded to other clients as it is.
simdjson::error_code validate(od::value value, int depth) {
  if (depth > kMaxDataDepth) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return error;
      for (auto element : array) {
        od::value item;
        if (auto error = element.get(item)) return error;
        if (auto error = validate(item, depth + 1)) return error;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return error;
      for (auto field : object) {
        std::string_view key;
        if (auto error = field.unescaped_key().get(key)) return error;
        if (auto error = validate(field.value(), depth + 1)) return error;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number:
      return is_json_number(trim_right(value.raw_json_token())) ? simdjson::SUCCESS
                                                                : simdjson::NUMBER_ERROR;
    case od::json_type::string: {
      std::string_view text;
      return value.get_string().get(text);
    }
    case od::json_type::boolean: {
      bool flag;
      return value.get_bool().get(flag);
    }
    case od::json_type::null: {
      bool null;
      if (auto error = value.is_null().get(null)) return error;
      return null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

RequestError fail(ErrorCode code, const char* message) {
  return RequestError{code, message};
}

// A field that must be of JSON type `want`, taken by `read(value)` (false: not valid JSON).
// Another type is not reported at once: `wrong` is kept in `error` (the op may not use the
// field), and the value is still walked, since the whole request must be valid JSON.
// Returns false when the request is not valid JSON.
template <class Read>
bool typed_field(od::value& value, od::json_type want, Read&& read, RequestError& error,
                 RequestError wrong) {
  od::json_type type;
  if (value.type().get(type)) return false;
  if (type == want) return read(value);
  error = wrong;
  return validate(value, 0) == simdjson::SUCCESS;
}

}  // namespace

struct JsonRequestParser::Impl {
  od::parser parser;
  od::parser inner;  // walks a container value found by `parser`, whose document stays live
  const char* buffer_end = nullptr;  // the last readable byte of the request's padding
  std::string scratch;               // is_valid_value()'s padded copy

  // Walks a session request's "rooms" object (in the padded request), calling `fn` for
  // each entry; false when an entry is not a room name mapped to a whole number.
  template <class Fn>
  bool walk_offsets(std::string_view object, Fn&& fn) noexcept {
    od::document doc;
    size_t capacity = static_cast<size_t>(buffer_end - object.data());
    if (inner.iterate(object.data(), object.size(), capacity).get(doc)) return false;
    od::object entries;
    if (doc.get_object().get(entries)) return false;
    for (auto field : entries) {
      std::string_view room;
      uint64_t seq;
      if (field.unescaped_key().get(room) || !is_valid_room_name(room)) return false;
      if (field.value().get_uint64().get(seq)) return false;
      fn(room, seq);
    }
    return true;
  }
  bool offsets_valid(std::string_view object) noexcept {
    return walk_offsets(object, [](std::string_view, uint64_t) {});
  }
};

// The exact bytes of `value` (without surrounding whitespace), after checking all of them.
namespace {

simdjson::error_code raw_value(JsonRequestParser::Impl& impl, od::value& value,
                               std::string_view& raw) noexcept {
  od::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type == od::json_type::array || type == od::json_type::object) {
    // raw_json() skips over the container by its structure; every byte inside is then
    // checked by a second walk over just those bytes (they lie in the padded request).
    if (type == od::json_type::array) {
      od::array array;
      if (auto error = value.get_array().get(array)) return error;
      if (auto error = array.raw_json().get(raw)) return error;
    } else {
      od::object object;
      if (auto error = value.get_object().get(object)) return error;
      if (auto error = object.raw_json().get(raw)) return error;
    }
    raw = trim_right(raw);
    od::document inner;
    size_t capacity = static_cast<size_t>(impl.buffer_end - raw.data());
    if (auto error = impl.inner.iterate(raw.data(), raw.size(), capacity).get(inner)) {
      return error;
    }
    od::value root;
    if (auto error = inner.get_value().get(root)) return error;
    return validate(root, 1);
  }
  raw = trim_right(value.raw_json_token());
  return validate(value, 0);
}

}  // namespace

JsonRequestParser::JsonRequestParser() : impl_(std::make_unique<Impl>()) {}
JsonRequestParser::~JsonRequestParser() = default;

RequestError JsonRequestParser::parse(std::string_view text, Request& out) noexcept {
  out = Request{};
  impl_->buffer_end = text.data() + text.size() + kJsonPadding;
  od::document doc;
  if (impl_->parser.iterate(text.data(), text.size(), text.size() + kJsonPadding).get(doc)) {
    return fail(ErrorCode::kBadJson, "not valid JSON");
  }
  od::object object;
  if (auto error = doc.get_object().get(object)) {
    return error == simdjson::INCORRECT_TYPE ? fail(ErrorCode::kBadRequest, "not a JSON object")
                                             : fail(ErrorCode::kBadJson, "not valid JSON");
  }

  std::string_view op;
  bool have_op = false, have_room = false, have_data = false, have_id = false, have_echo = false;
  bool have_since = false, have_epoch = false, have_info = false, have_presence = false,
       have_key = false, have_session = false, have_rooms = false, have_event = false,
       have_token = false, have_ckey = false;
  // A field of the wrong type is reported only if the op uses that field (a ping's "room"
  // is as ignored as any unknown field), and only after the whole request was found to
  // be valid JSON, with its id.
  RequestError op_error, id_error, room_error, echo_error, since_error, epoch_error, info_error,
      presence_error, key_error, session_error, rooms_error, event_error, token_error, ckey_error;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return fail(ErrorCode::kBadJson, "not valid JSON");
    od::value value;
    if (field.value().get(value)) return fail(ErrorCode::kBadJson, "not valid JSON");
    if (key == "op") {
      if (have_op) return fail(ErrorCode::kBadRequest, "\"op\" appears twice");
      have_op = true;
      auto read = [&](od::value& v) { return !v.get_string().get(op); };
      if (!typed_field(value, od::json_type::string, read, op_error,
                       fail(ErrorCode::kBadRequest, "\"op\" must be a string"))) {
        return fail(ErrorCode::kBadJson, "not valid JSON");
      }
    } else if (key == "room") {
      if (have_room) return fail(ErrorCode::kBadRequest, "\"room\" appears twice");
      have_room = true;
      auto read = [&](od::value& v) { return !v.get_string().get(out.room); };
      if (!typed_field(value, od::json_type::string, read, room_error,
                       fail(ErrorCode::kBadRoom, "\"room\" must be a string"))) {
        return fail(ErrorCode::kBadJson, "not valid JSON");
      }
    } else if (key == "id") {
      if (have_id) return fail(ErrorCode::kBadRequest, "\"id\" appears twice");
      have_id = true;
      od::json_type type;
      if (value.type().get(type)) return fail(ErrorCode::kBadJson, "not valid JSON");
      std::string_view token = trim_right(value.raw_json_token());
      size_t length = token.size();
      if (type == od::json_type::string) {
        std::string_view unused;
        if (value.get_string().get(unused)) return fail(ErrorCode::kBadJson, "not valid JSON");
        length = token.size() - 2;  // the limit is on the string, not on its quotes
      } else if (type == od::json_type::number) {
        if (validate(value, 0)) return fail(ErrorCode::kBadJson, "not valid JSON");
      } else {
        id_error = fail(ErrorCode::kBadId, "\"id\" must be a number or a string");
        if (validate(value, 0)) return fail(ErrorCode::kBadJson, "not valid JSON");
        continue;
      }
      if (length > kMaxIdBytes) {
        id_error = fail(ErrorCode::kBadId, "\"id\" is longer than 128 bytes");
      } else {
        out.id = token;
      }
    } else if (key == "data") {
      if (have_data) return fail(ErrorCode::kBadRequest, "\"data\" appears twice");
      have_data = true;
      std::string_view raw;
      if (auto error = raw_value(*impl_, value, raw)) {
        return fail(ErrorCode::kBadJson, error == simdjson::DEPTH_ERROR
                                             ? "\"data\" is nested more than 64 levels deep"
                                             : "not valid JSON");
      }
      out.data = raw;
      out.data_is_json = true;
    } else if (key == "echo") {
      if (have_echo) return fail(ErrorCode::kBadRequest, "\"echo\" appears twice");
      have_echo = true;
      auto read = [&](od::value& v) { return !v.get_bool().get(out.echo); };
      if (!typed_field(value, od::json_type::boolean, read, echo_error,
                       fail(ErrorCode::kBadRequest, "\"echo\" must be true or false"))) {
        return fail(ErrorCode::kBadJson, "not valid JSON");
      }
    } else if (key == "since") {
      if (have_since) return fail(ErrorCode::kBadRequest, "\"since\" appears twice");
      have_since = true;
      RequestError wrong = fail(ErrorCode::kBadRequest, "\"since\" must be a whole number >= 0");
      auto read = [&](od::value& v) {
        if (!is_json_number(trim_right(v.raw_json_token()))) return false;
        if (v.get_uint64().get(out.since)) since_error = wrong;  // negative, fraction, > 2^64
        return true;
      };
      if (!typed_field(value, od::json_type::number, read, since_error, wrong)) {
        return fail(ErrorCode::kBadJson, "not valid JSON");
      }
    } else if (key == "epoch") {
      if (have_epoch) return fail(ErrorCode::kBadRequest, "\"epoch\" appears twice");
      have_epoch = true;
      auto read = [&](od::value& v) { return !v.get_string().get(out.epoch); };
      if (!typed_field(value, od::json_type::string, read, epoch_error,
                       fail(ErrorCode::kBadRequest, "\"epoch\" must be a string"))) {
        return fail(ErrorCode::kBadJson, "not valid JSON");
      }
      if (out.epoch.size() > kMaxEpochBytes) {
        epoch_error = fail(ErrorCode::kBadRequest, "\"epoch\" is longer than 64 bytes");
      }
    } else if (key == "key") {
      if (have_key) return fail(ErrorCode::kBadRequest, "\"key\" appears twice");
      have_key = true;
      auto read = [&](od::value& v) { return !v.get_string().get(out.key); };
      if (!typed_field(value, od::json_type::string, read, key_error,
                       fail(ErrorCode::kBadRequest, "\"key\" must be a string"))) {
        return fail(ErrorCode::kBadJson, "not valid JSON");
      }
      if (!key_error && (out.key.empty() || out.key.size() > kMaxKeyBytes)) {
        key_error = fail(ErrorCode::kBadRequest, "\"key\" must be 1 to 64 bytes");
      }
    } else if (key == "ckey") {
      if (have_ckey) return fail(ErrorCode::kBadRequest, "\"ckey\" appears twice");
      have_ckey = true;
      auto read = [&](od::value& v) { return !v.get_string().get(out.ckey); };
      if (!typed_field(value, od::json_type::string, read, ckey_error,
                       fail(ErrorCode::kBadRequest, "\"ckey\" must be a string"))) {
        return fail(ErrorCode::kBadJson, "not valid JSON");
      }
      if (!ckey_error && (out.ckey.empty() || out.ckey.size() > kMaxKeyBytes)) {
        ckey_error = fail(ErrorCode::kBadRequest, "\"ckey\" must be 1 to 64 bytes");
      }
    } else if (key == "event") {
      if (have_event) return fail(ErrorCode::kBadRequest, "\"event\" appears twice");
      have_event = true;
      auto read = [&](od::value& v) { return !v.get_string().get(out.event); };
      if (!typed_field(value, od::json_type::string, read, event_error,
                       fail(ErrorCode::kBadRequest, "\"event\" must be a string"))) {
        return fail(ErrorCode::kBadJson, "not valid JSON");
      }
      if (!event_error && !is_valid_event_name(out.event)) {
        event_error = fail(ErrorCode::kBadRequest,
                           "\"event\" must be 1 to 64 printable ASCII characters, no quote or "
                           "backslash");
      }
    } else if (key == "info") {
      if (have_info) return fail(ErrorCode::kBadRequest, "\"info\" appears twice");
      have_info = true;
      od::json_type type;
      if (value.type().get(type)) return fail(ErrorCode::kBadJson, "not valid JSON");
      std::string_view raw;
      if (auto error = raw_value(*impl_, value, raw)) {
        return fail(ErrorCode::kBadJson, error == simdjson::DEPTH_ERROR
                                             ? "\"info\" is nested more than 64 levels deep"
                                             : "not valid JSON");
      }
      if (type == od::json_type::object) {
        out.info = raw;
      } else {
        info_error = fail(ErrorCode::kBadRequest, "\"info\" must be an object");
      }
    } else if (key == "session") {
      if (have_session) return fail(ErrorCode::kBadRequest, "\"session\" appears twice");
      have_session = true;
      auto read = [&](od::value& v) { return !v.get_string().get(out.session); };
      if (!typed_field(value, od::json_type::string, read, session_error,
                       fail(ErrorCode::kBadRequest, "\"session\" must be a string"))) {
        return fail(ErrorCode::kBadJson, "not valid JSON");
      }
      if (out.session.size() > kMaxSessionBytes) {
        session_error = fail(ErrorCode::kBadRequest, "\"session\" is longer than 64 bytes");
      }
    } else if (key == "token") {
      if (have_token) return fail(ErrorCode::kBadRequest, "\"token\" appears twice");
      have_token = true;
      auto read = [&](od::value& v) { return !v.get_string().get(out.token); };
      if (!typed_field(value, od::json_type::string, read, token_error,
                       fail(ErrorCode::kBadRequest, "\"token\" must be a string"))) {
        return fail(ErrorCode::kBadJson, "not valid JSON");
      }
      if (!token_error && (out.token.empty() || out.token.size() > kMaxTokenBytes)) {
        token_error = fail(ErrorCode::kBadRequest, "\"token\" must be 1 to 8192 bytes");
      }
    } else if (key == "rooms") {
      if (have_rooms) return fail(ErrorCode::kBadRequest, "\"rooms\" appears twice");
      have_rooms = true;
      od::json_type type;
      if (value.type().get(type)) return fail(ErrorCode::kBadJson, "not valid JSON");
      std::string_view raw;
      if (raw_value(*impl_, value, raw)) return fail(ErrorCode::kBadJson, "not valid JSON");
      if (type != od::json_type::object) {
        rooms_error = fail(ErrorCode::kBadRequest, "\"rooms\" must be an object");
      } else {
        out.offsets = raw;
        out.offsets_json = true;
      }
    } else if (key == "presence") {
      if (have_presence) return fail(ErrorCode::kBadRequest, "\"presence\" appears twice");
      have_presence = true;
      auto read = [&](od::value& v) { return !v.get_bool().get(out.presence); };
      if (!typed_field(value, od::json_type::boolean, read, presence_error,
                       fail(ErrorCode::kBadRequest, "\"presence\" must be true or false"))) {
        return fail(ErrorCode::kBadJson, "not valid JSON");
      }
    } else {
      // Unknown fields are ignored (newer clients may send more), but must be valid JSON.
      if (validate(value, 0)) return fail(ErrorCode::kBadJson, "not valid JSON");
    }
  }
  // Anything after the object (simdjson 3.0 has no at_end()): a location means more tokens.
  const char* trailing;
  if (!doc.current_location().get(trailing)) return fail(ErrorCode::kBadJson, "not valid JSON");
  if (op_error) return op_error;
  if (id_error) return id_error;
  if (!have_op) return fail(ErrorCode::kBadRequest, "missing \"op\"");
  if (op == "join") {
    out.op = RequestOp::kJoin;
  } else if (op == "leave") {
    out.op = RequestOp::kLeave;
  } else if (op == "pub") {
    out.op = RequestOp::kPub;
  } else if (op == "presence") {
    out.op = RequestOp::kPresence;
  } else if (op == "session") {
    out.op = RequestOp::kSession;
    if (session_error) return session_error;
    if (rooms_error) return rooms_error;
    if (!out.offsets.empty() && !impl_->offsets_valid(out.offsets)) {
      return fail(ErrorCode::kBadRequest,
                  "\"rooms\" maps room names to whole numbers >= 0 (the last seq received)");
    }
    out.room = {};
    out.key = out.ckey = out.epoch = out.info = {};
    out.has_since = out.presence = false;
    return {};
  } else if (op == "ping") {
    out.op = RequestOp::kPing;
    return {};
  } else if (op == "auth") {
    out.op = RequestOp::kAuth;
    if (token_error) return token_error;
    if (!have_token) return fail(ErrorCode::kBadRequest, "missing \"token\"");
    return {};
  } else {
    return fail(ErrorCode::kUnknownOp,
                "unknown \"op\" (join, leave, pub, presence, session, auth, ping)");
  }
  if (room_error) return room_error;
  if (!have_room) return fail(ErrorCode::kBadRequest, "missing \"room\"");
  if (!is_valid_room_name(out.room)) {
    return fail(ErrorCode::kBadRoom, "room names are 1-128 letters, digits, _ . : -");
  }
  if (out.op == RequestOp::kPub) {
    if (echo_error) return echo_error;
    if (key_error) return key_error;
    if (ckey_error) return ckey_error;
    if (event_error) return event_error;
    if (!have_data) return fail(ErrorCode::kBadRequest, "missing \"data\"");
  } else {
    out.key = out.ckey = out.event = {};
  }
  if (out.op == RequestOp::kJoin) {
    if (since_error) return since_error;
    if (epoch_error) return epoch_error;
    if (info_error) return info_error;
    if (presence_error) return presence_error;
    out.has_since = have_since;
  } else {
    out.has_since = false;
    out.since = 0;
    out.epoch = out.info = {};
    out.presence = false;
  }
  return {};
}

void JsonRequestParser::for_each_offset(const Request& request, OffsetFn fn,
                                        void* context) noexcept {
  if (request.offsets.empty()) return;
  if (request.offsets_json) {
    // buffer_end still bounds the request these offsets came from.
    impl_->walk_offsets(request.offsets,
                        [&](std::string_view room, uint64_t seq) { fn(context, room, seq); });
    return;
  }
  // Binary: u16 count, count x (u8 room length, room, u64 seq), checked by the parser.
  std::string_view in = request.offsets;
  size_t count = static_cast<uint8_t>(in[0]) | size_t{static_cast<uint8_t>(in[1])} << 8;
  in.remove_prefix(2);
  for (size_t i = 0; i < count; ++i) {
    size_t n = static_cast<uint8_t>(in[0]);
    std::string_view room = in.substr(1, n);
    uint64_t seq = 0;
    for (int b = 7; b >= 0; --b) seq = seq << 8 | static_cast<uint8_t>(in[1 + n + b]);
    in.remove_prefix(1 + n + 8);
    fn(context, room, seq);
  }
}

bool JsonRequestParser::is_valid_value(std::string_view text) noexcept {
  // The value is read as the only element of an array: "[" text "]". A root scalar in
  // On-Demand is not checked for what follows it ("x","op":"gap" would pass as the string
  // "x"), whereas an array's elements and what comes after the array are: the value is
  // exactly one JSON value or it is refused, as the same bytes would be in a JSON `pub`.
  std::string& scratch = impl_->scratch;
  scratch.assign(1, '[');
  scratch.append(text);
  scratch += ']';
  size_t size = scratch.size();
  scratch.append(kJsonPadding, ' ');
  impl_->buffer_end = scratch.data() + scratch.size();
  od::document doc;
  if (impl_->parser.iterate(scratch.data(), size, scratch.size()).get(doc)) return false;
  od::array array;
  if (doc.get_array().get(array)) return false;
  size_t count = 0;
  for (auto element : array) {
    od::value item;
    if (element.get(item)) return false;
    if (++count > 1) return false;
    std::string_view raw;
    if (raw_value(*impl_, item, raw)) return false;
  }
  if (count != 1) return false;
  const char* trailing;
  return doc.current_location().get(trailing) != simdjson::SUCCESS;
}

namespace {

void append_number(std::string& out, uint64_t value) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}

void append_room(std::string& out, std::string_view room) {
  out += "\"room\":\"";
  out += room;  // room names need no escaping
  out += '"';
}

void append_id(std::string& out, std::string_view id) {
  if (id.empty()) return;
  out += ",\"id\":";
  out += id;
}

}  // namespace

void append_json_joined(std::string& out, const JoinedReply& joined, std::string_view id) {
  out += "{\"op\":\"joined\",";
  append_room(out, joined.room);
  out += ",\"seq\":";
  append_number(out, joined.seq);
  out += ",\"epoch\":\"";
  out += joined.epoch;  // hex digits: no escaping
  out += "\",\"member\":\"";
  out += joined.member;  // digits and dots
  out += '"';
  if (joined.resumed) out += joined.recovered ? ",\"recovered\":true" : ",\"recovered\":false";
  append_id(out, id);
  out += '}';
}

void append_json_left(std::string& out, std::string_view room, std::string_view id) {
  out += "{\"op\":\"left\",";
  append_room(out, room);
  append_id(out, id);
  out += '}';
}

void append_json_ack(std::string& out, std::string_view id, uint64_t seq, bool duplicate,
                     std::string_view epoch) {
  out += "{\"op\":\"ack\"";
  append_id(out, id);
  out += ",\"seq\":";
  append_number(out, seq);
  if (!epoch.empty()) {
    out += ",\"epoch\":\"";
    out += epoch;
    out += '"';
  }
  if (duplicate) out += ",\"duplicate\":true";
  out += '}';
}

void append_json_presence_head(std::string& out, std::string_view room, std::string_view id,
                               uint64_t count) {
  out += "{\"op\":\"presence\",";
  append_room(out, room);
  append_id(out, id);
  out += ",\"count\":";
  append_number(out, count);
  out += ",\"members\":[";
}

void append_json_presence_member(std::string& out, bool first, std::string_view member,
                                 std::string_view info) {
  if (!first) out += ',';
  out += "{\"member\":\"";
  out += member;
  out += "\",\"info\":";
  if (info.empty()) {
    out += "{}";
  } else {
    out += info;  // a JSON object, checked when it was given
  }
  out += '}';
}

void append_json_presence_tail(std::string& out) {
  out += "]}";
}

void append_json_presence_event(std::string& out, std::string_view room, bool joined,
                                std::string_view member, std::string_view info) {
  out += "{\"op\":\"presence\",";
  append_room(out, room);
  out += joined ? ",\"event\":\"join\",\"member\":\"" : ",\"event\":\"leave\",\"member\":\"";
  out += member;
  out += '"';
  if (joined) {
    out += ",\"info\":";
    out += info.empty() ? std::string_view("{}") : info;
  }
  out += '}';
}

void append_json_error(std::string& out, ErrorCode code, std::string_view message,
                       std::string_view id) {
  out += "{\"op\":\"error\",\"code\":\"";
  out += error_code_name(code);
  out += "\",\"message\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  append_id(out, id);
  out += '}';
}

void append_json_gap(std::string& out, std::string_view room, uint64_t from, uint64_t to) {
  out += "{\"op\":\"gap\",";
  append_room(out, room);
  out += ",\"from\":";
  append_number(out, from);
  out += ",\"to\":";
  append_number(out, to);
  out += '}';
}

void append_json_conflated(std::string& out, std::string_view room, uint64_t count) {
  out += "{\"op\":\"conflated\",";
  append_room(out, room);
  out += ",\"count\":";
  append_number(out, count);
  out += '}';
}

void append_json_session(std::string& out, std::string_view token, bool resumed,
                         std::string_view id) {
  out += "{\"op\":\"session\",\"session\":\"";
  out += token;  // digits, '-' and hex digits
  out += resumed ? "\",\"resumed\":true" : "\",\"resumed\":false";
  append_id(out, id);
  out += '}';
}

void append_json_auth(std::string& out, std::string_view sub, int64_t exp, std::string_view id) {
  out += "{\"op\":\"auth\",\"sub\":";
  append_json_string(out, sub);
  out += ",\"exp\":";
  out += std::to_string(exp);
  append_id(out, id);
  out += '}';
}

void append_json_pong(std::string& out, std::string_view id) {
  out += "{\"op\":\"pong\"";
  append_id(out, id);
  out += '}';
}

namespace {

constexpr std::string_view kMsgHead = "{\"op\":\"msg\",\"room\":\"";
constexpr std::string_view kMsgSeq = "\",\"seq\":";
constexpr std::string_view kMsgEvent = ",\"event\":\"";
constexpr std::string_view kMsgData = ",\"data\":";
constexpr std::string_view kMsgBinData = ",\"bin\":true,\"data\":\"";

size_t decimal_digits(uint64_t value) {
  size_t n = 1;
  while (value >= 10) {
    value /= 10;
    ++n;
  }
  return n;
}

}  // namespace

size_t json_msg_size(std::string_view room, uint64_t seq, std::string_view event, size_t data_size,
                     bool data_is_json) noexcept {
  size_t size = kMsgHead.size() + room.size() + kMsgSeq.size() + decimal_digits(seq);
  if (!event.empty()) size += kMsgEvent.size() + event.size() + 1;
  if (data_is_json) return size + kMsgData.size() + data_size + 1;
  return size + kMsgBinData.size() + base64_size(data_size) + 2;
}

void write_json_msg(char* out, std::string_view room, uint64_t seq, std::string_view event,
                    std::string_view data, bool data_is_json) noexcept {
  auto put = [&out](std::string_view s) {
    std::memcpy(out, s.data(), s.size());
    out += s.size();
  };
  put(kMsgHead);
  put(room);
  put(kMsgSeq);
  out = std::to_chars(out, out + 24, seq).ptr;
  if (!event.empty()) {  // a valid event name needs no escaping
    put(kMsgEvent);
    put(event);
    *out++ = '"';
  }
  if (data_is_json) {
    put(kMsgData);
    put(data);
  } else {
    put(kMsgBinData);
    out += write_base64(out, std::as_bytes(std::span(data)));  // its NUL: where '"' goes
    *out++ = '"';
  }
  *out = '}';
}

}  // namespace rg::proto
