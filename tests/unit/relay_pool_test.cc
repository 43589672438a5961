// RelayPool against a fake dialer: which relay a client gets, when a returned relay is kept
// or closed, the idle relay kept ready, and a lost connection reaching its client. The relays'
// RelayLinks are real, driven by bytes as the upstream would send them.
#include "backend/relay_pool.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fake_dialer.h"

namespace ringside::backend {
namespace {

// The relays' connections: every one the pool dials is a relay connection.
struct RelayDialer final : FakeDialer {
  FakeConnection* conn(size_t i) {
    EXPECT_EQ(dialed[i].first, "upstream relay connection");
    return dialed[i].second;
  }
};

// Everything the link has for the upstream, as one string.
std::string Output(RelayLink& link) {
  std::string out;
  for (const auto& piece : link.TakeOutputPieces()) {
    out += piece.shared ? *piece.shared : piece.bytes;
  }
  return out;
}

struct Client final : RelayClient {
  std::vector<std::string> replies;
  int lost = 0;
  void OnRelayReply(std::string reply) override { replies.push_back(std::move(reply)); }
  void OnRelayLost() override { ++lost; }
};

TEST(RelayPool, TakeOpensARelayWhenNoneIsIdleAndRepliesReachItsClient) {
  RelayDialer dialer;
  RelayPool pool(&dialer, {});
  Client client;
  Relay* r = pool.Take(&client, 0);
  ASSERT_EQ(dialer.dialed.size(), 1u);
  EXPECT_EQ(dialer.conn(0)->ticks, 1) << "the connect starts at once";
  EXPECT_EQ(r->client, &client);
  dialer.conn(0)->Up();
  const std::string_view ping[] = {"PING"};
  r->link.Send(ping);
  EXPECT_EQ(Output(r->link), "*1\r\n$4\r\nPING\r\n");
  ASSERT_TRUE(r->link.OnInput("+PONG\r\n"));
  EXPECT_EQ(client.replies, std::vector<std::string>{"+PONG\r\n"});
}

TEST(RelayPool, AReturnedRelayIsResetAndGoesToTheNextClient) {
  RelayDialer dialer;
  RelayPool pool(&dialer, {"", "secret", 2});
  Client first, second;
  Relay* r = pool.Take(&first, 0);
  dialer.conn(0)->Up();
  ASSERT_TRUE(r->link.OnInput("+OK\r\n+OK\r\n"));  // the AUTH, then the SELECT of upstream-db
  ASSERT_TRUE(r->link.ready());
  Output(r->link);
  pool.Return(r, /*broken=*/false);
  EXPECT_FALSE(dialer.conn(0)->closed);
  EXPECT_EQ(Output(r->link),
            "*1\r\n$5\r\nRESET\r\n*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"
            "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n");
  EXPECT_EQ(pool.Take(&second, 0), r) << "the idle relay is reused";
  EXPECT_EQ(dialer.dialed.size(), 1u);
  EXPECT_TRUE(r->link.OnInput("+RESET\r\n+OK\r\n+OK\r\n"));
  EXPECT_TRUE(second.replies.empty()) << "the reset's replies are not the client's";
  EXPECT_TRUE(first.replies.empty());
}

TEST(RelayPool, ABrokenOrUnconnectedRelayIsClosedAndDroppedOnceGone) {
  RelayDialer dialer;
  RelayPool pool(&dialer, {});
  Client client;
  Relay* r = pool.Take(&client, 0);
  dialer.conn(0)->Up();
  dialer.conn(0)->in_flight = true;
  pool.Return(r, /*broken=*/true);
  EXPECT_TRUE(dialer.conn(0)->closed);
  pool.Tend(false, false, 0);
  EXPECT_EQ(pool.size(), 1u) << "kept until its connection is gone";
  dialer.conn(0)->in_flight = false;
  pool.Tend(false, false, 0);
  EXPECT_EQ(pool.size(), 0u);

  Relay* never_connected = pool.Take(&client, 0);
  pool.Return(never_connected, /*broken=*/false);
  EXPECT_TRUE(dialer.conn(1)->closed) << "a relay that never connected is not kept";
}

TEST(RelayPool, AConnectedIdleRelayIsPreferred) {
  RelayDialer dialer;
  RelayPool pool(&dialer, {});
  Client a, b, c;
  Relay* r1 = pool.Take(&a, 0);
  Relay* r2 = pool.Take(&b, 0);
  dialer.conn(1)->Up();  // only the second connects
  // Both return idle: r1 is closed (not connected), r2 kept.
  pool.Return(r1, false);
  pool.Return(r2, false);
  EXPECT_EQ(pool.Take(&c, 0), r2);
}

TEST(RelayPool, AtMostFourIdleRelaysAreKept) {
  RelayDialer dialer;
  RelayPool pool(&dialer, {});
  std::vector<Client> clients(6);
  std::vector<Relay*> relays;
  for (size_t i = 0; i < clients.size(); ++i) {
    relays.push_back(pool.Take(&clients[i], 0));
    dialer.conn(i)->Up();
  }
  for (Relay* r : relays) pool.Return(r, false);
  size_t closed = 0;
  for (auto& [role, c] : dialer.dialed) closed += c->closed ? 1 : 0;
  EXPECT_EQ(closed, 6 - RelayPool::kMaxIdle);
  EXPECT_EQ(pool.idle(), RelayPool::kMaxIdle);
}

TEST(RelayPool, ATickKeepsOneIdleRelayReadyUnlessClosingDown) {
  RelayDialer dialer;
  RelayPool pool(&dialer, {});
  pool.Tend(/*tick=*/false, false, 0);
  EXPECT_EQ(pool.size(), 0u) << "only a tick opens one";
  pool.Tend(/*tick=*/true, /*closing_down=*/true, 0);
  EXPECT_EQ(pool.size(), 0u);
  pool.Tend(/*tick=*/true, false, 0);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.idle(), 1u);
  pool.Tend(/*tick=*/true, false, 0);
  EXPECT_EQ(pool.size(), 1u) << "one idle relay is enough";
  EXPECT_GE(dialer.conn(0)->ticks, 2) << "ticks drive its connect";
}

TEST(RelayPool, ALostConnectionTellsItsClientAndIsNotReused) {
  RelayDialer dialer;
  RelayPool pool(&dialer, {});
  Client client, next;
  Relay* r = pool.Take(&client, 0);
  dialer.conn(0)->Up();
  dialer.conn(0)->Down();
  EXPECT_EQ(client.lost, 1);
  EXPECT_EQ(r->client, nullptr);
  EXPECT_TRUE(dialer.conn(0)->closed);
  EXPECT_NE(pool.Take(&next, 0), r);
  EXPECT_EQ(dialer.dialed.size(), 2u);
  pool.Tend(false, false, 0);
  EXPECT_EQ(pool.size(), 1u) << "the lost relay is dropped once gone";
}

TEST(RelayPool, AConnectRefusedAsItStartsStillTellsTheClient) {
  RelayDialer dialer;
  dialer.refuse = true;
  RelayPool pool(&dialer, {});
  Client client;
  Relay* r = pool.Take(&client, 0);
  EXPECT_EQ(client.lost, 0) << "not from inside Take, where the caller has no relay yet";
  EXPECT_EQ(r->client, &client);
  pool.Tend(false, false, 0);
  EXPECT_EQ(client.lost, 1);
  EXPECT_EQ(pool.size(), 0u) << "the failed relay is dropped";
  pool.Tend(false, false, 0);
  EXPECT_EQ(client.lost, 1) << "told once";
}

}  // namespace
}  // namespace ringside::backend
