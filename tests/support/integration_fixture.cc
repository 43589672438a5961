#include "tests/support/integration_fixture.h"

#include <thread>

namespace ringside::testing {

void ServerTest::SetUp() {
  server_ = ServerProcess::StartRingside(ServerArgs());
  ASSERT_NE(server_, nullptr) << "the server did not start";
  client_ = std::make_unique<Client>(server_->port());
  ASSERT_TRUE(client_->ok()) << client_->error();
  // The start-up probe's connection may still be on its way out; tests that count clients
  // should see only their own.
  ASSERT_TRUE(WaitUntil([&] { return InfoInt("clients", "connected_clients") == 1; }))
      << "connected_clients stays at " << Info("clients", "connected_clients");
}

std::unique_ptr<Client> ServerTest::NewClient() { return std::make_unique<Client>(port()); }

std::string ServerTest::Info(const std::string& section, const std::string& field) {
  const Reply r = Cmd({"INFO", section});
  if (r.type != Reply::Type::kBulk) {
    ADD_FAILURE() << "INFO " << section << " -> " << r;
    return "";
  }
  const auto fields = ParseInfo(r.str);
  const auto it = fields.find(field);
  return it == fields.end() ? "" : it->second;
}

int64_t ServerTest::InfoInt(const std::string& section, const std::string& field) {
  const std::string v = Info(section, field);
  if (v.empty()) {
    ADD_FAILURE() << "INFO " << section << " has no field " << field;
    return -1;
  }
  return std::stoll(v);
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds deadline,
               std::chrono::milliseconds interval) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= end) return condition();
    std::this_thread::sleep_for(interval);
  }
}

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// CRC16-CCITT (XMODEM), as Redis Cluster uses it.
uint16_t Crc16(const std::string& data) {
  uint16_t crc = 0;
  for (unsigned char byte : data) {
    crc ^= static_cast<uint16_t>(byte) << 8;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

}  // namespace

uint16_t KeySlot(const std::string& key) {
  const size_t open = key.find('{');
  if (open != std::string::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string::npos && close != open + 1) {
      return Crc16(key.substr(open + 1, close - open - 1)) % 16384;
    }
  }
  return Crc16(key) % 16384;
}

int KeyShard(const std::string& key, int num_shards) {
  return static_cast<int>(KeySlot(key) * static_cast<uint32_t>(num_shards) / 16384);
}

}  // namespace ringside::testing
