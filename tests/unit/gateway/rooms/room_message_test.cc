// What crosses between shards on the bus must be self-contained: a message holds copies
// of every byte it names (room, id, data), never a view into the sender's buffers, nor a
// shard-local BlockRef (whose count is not atomic). See core/bus/bus.h.

#include "gateway/rooms/room_message.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

namespace rg::gateway {
namespace {

TEST(RoomMessage, OwnsEveryByteItNames) {
  auto room = std::make_unique<std::string>("lobby");
  auto id = std::make_unique<std::string>("\"p-7\"");
  auto data = std::make_unique<std::string>(R"({"any":"JSON value"})");
  RoomMessage::Fields fields;
  fields.room = *room;
  fields.id = *id;
  fields.data = *data;
  fields.data_is_json = true;
  fields.room_hash = room_hash(*room);
  RoomMessage* message = RoomMessage::create(fields);
  // The sender's buffers are reused (a receive buffer going back to its ring), then freed.
  room->assign(room->size(), 'x');
  data->assign(data->size(), 'x');
  room.reset();
  id.reset();
  data.reset();
  // Read on another thread, as a member shard would (ASan and TSan watch the bytes).
  std::thread reader([message] {
    EXPECT_EQ(message->room(), "lobby");
    EXPECT_EQ(message->id(), "\"p-7\"");
    EXPECT_EQ(message->data(), R"({"any":"JSON value"})");
    EXPECT_EQ(message->room_hash(), room_hash("lobby"));
    message->release();
  });
  reader.join();
}

TEST(RoomMessage, ItsFootprintCountsItsBytes) {
  RoomMessage::Fields fields;
  fields.room = "r";
  fields.data = std::string_view("0123456789");
  RoomMessage* message = RoomMessage::create(fields);
  EXPECT_EQ(message->footprint(), sizeof(RoomMessage) + 1 + 10);
  message->release();
}

}  // namespace
}  // namespace rg::gateway
