// UpstreamLink as a protocol state machine: the bytes it would send and what it does with the
// upstream's replies, without a socket.
#include "backend/upstream_link.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>
#include <vector>

namespace ringside::backend {
namespace {

void Rec(UpstreamLink& link, int db, std::vector<std::string_view> argv) { link.Record(db, argv); }

TEST(UpstreamLink, SendsRecordsInOrderWithSelectOnlyWhenTheDatabaseChanges) {
  UpstreamLink link("", "");
  Rec(link, 0, {"SET", "a", "1"});
  Rec(link, 3, {"DEL", "b"});
  Rec(link, 3, {"INCR", "c"});
  EXPECT_EQ(link.TakeOutput(), "") << "nothing goes out before a connection";
  link.Connected();
  EXPECT_EQ(link.TakeOutput(),
            "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
            "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
            "*2\r\n$3\r\nDEL\r\n$1\r\nb\r\n"
            "*2\r\n$4\r\nINCR\r\n$1\r\nc\r\n");
  EXPECT_EQ(link.acked(), 0u);
  ASSERT_TRUE(link.OnInput("+OK\r\n+OK\r\n:1\r\n"));
  EXPECT_EQ(link.acked(), 2u) << "the SELECT's reply acknowledges no record";
  ASSERT_TRUE(link.OnInput(":5\r\n"));
  EXPECT_EQ(link.acked(), 3u);
  EXPECT_FALSE(link.HasUnacked());
}

TEST(UpstreamLink, ResendsUnacknowledgedRecordsAfterAReconnect) {
  UpstreamLink link("", "");
  link.Connected();
  Rec(link, 1, {"SET", "a", "1"});
  Rec(link, 1, {"SET", "b", "2"});
  link.TakeOutput();
  // A reply split across reads is still one reply.
  ASSERT_TRUE(link.OnInput("+O"));
  ASSERT_TRUE(link.OnInput("K\r\n+OK"));
  EXPECT_EQ(link.acked(), 0u) << "the first reply answers the SELECT";
  ASSERT_TRUE(link.OnInput("\r\n"));
  EXPECT_EQ(link.acked(), 1u);
  link.Disconnected();
  Rec(link, 1, {"SET", "c", "3"});
  link.Connected();
  // A new connection starts in database 0: the SELECT goes again, before b and c.
  EXPECT_EQ(link.TakeOutput(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n"
            "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
            "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n+OK\r\n+OK\r\n"));
  EXPECT_EQ(link.acked(), 3u);
  EXPECT_EQ(link.stats().reconnects, 1u);
}

TEST(UpstreamLink, AuthGoesFirstAndRecordsWaitForIt) {
  UpstreamLink link("alice", "pw");
  Rec(link, 0, {"SET", "a", "1"});
  link.Connected();
  EXPECT_FALSE(link.ready());
  EXPECT_EQ(link.TakeOutput(), "*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$2\r\npw\r\n");
  EXPECT_EQ(link.TakeOutput(), "") << "no record before AUTH succeeded";
  ASSERT_TRUE(link.OnInput("+OK\r\n"));
  EXPECT_TRUE(link.ready());
  EXPECT_EQ(link.TakeOutput(), "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n");
}

TEST(UpstreamLink, RefusedAuthClosesAndKeepsTheRecords) {
  UpstreamLink link("", "wrong");
  Rec(link, 0, {"SET", "a", "1"});
  link.Connected();
  EXPECT_EQ(link.TakeOutput(), "*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n");
  EXPECT_FALSE(link.OnInput("-WRONGPASS invalid username-password pair\r\n"));
  EXPECT_NE(link.last_error().find("WRONGPASS"), std::string::npos) << link.last_error();
  link.Disconnected();
  EXPECT_TRUE(link.HasUnacked());
}

TEST(UpstreamLink, StateErrorsKeepTheRecordOtherErrorsAnswerIt) {
  UpstreamLink link("", "");
  Rec(link, 0, {"SET", "a", "1"});
  Rec(link, 0, {"INCR", "a"});
  link.Connected();
  link.TakeOutput();
  // The upstream lost its password setting mid-way: NOAUTH says nothing about the record.
  EXPECT_FALSE(link.OnInput("-NOAUTH Authentication required.\r\n"));
  EXPECT_EQ(link.acked(), 0u);
  link.Disconnected();
  link.Connected();
  link.TakeOutput();
  ASSERT_TRUE(link.OnInput("+OK\r\n-ERR value is not an integer or out of range\r\n"));
  EXPECT_EQ(link.acked(), 2u);
  EXPECT_EQ(link.stats().record_errors, 1u);
}

TEST(UpstreamLink, AReplyNobodyAskedForClosesTheLink) {
  UpstreamLink link("", "");
  link.Connected();
  EXPECT_FALSE(link.OnInput("+OK\r\n"));
  EXPECT_FALSE(link.last_error().empty());
}

// A flush waits at a gate until every record before it is acknowledged (and the shard's
// coordinator opens the gate), goes out alone, and the records after it wait at a second gate
// until it is acknowledged and that gate is opened too.
TEST(UpstreamLink, FlushIsFencedByTwoGates) {
  UpstreamLink link("", "");
  std::vector<uint64_t> reached;
  link.set_on_gate([&](uint64_t gate) { reached.push_back(gate); });
  link.Connected();
  Rec(link, 0, {"SET", "before", "1"});
  Rec(link, 0, {"FLUSHALL"});
  Rec(link, 0, {"SET", "after", "2"});
  EXPECT_EQ(link.recorded(), 3u) << "gates are not records";
  EXPECT_EQ(link.TakeOutput(), "*3\r\n$3\r\nSET\r\n$6\r\nbefore\r\n$1\r\n1\r\n");
  EXPECT_TRUE(reached.empty()) << "the record before the gate is not acknowledged yet";
  ASSERT_TRUE(link.OnInput("+OK\r\n"));
  EXPECT_EQ(reached, std::vector<uint64_t>{0});
  EXPECT_EQ(link.TakeOutput(), "") << "gate 0 is closed until opened";
  link.OpenGate();
  EXPECT_EQ(link.TakeOutput(), "*1\r\n$8\r\nFLUSHALL\r\n");
  EXPECT_EQ(link.TakeOutput(), "") << "gate 1 holds the record after the flush";
  EXPECT_EQ(reached.size(), 1u);
  ASSERT_TRUE(link.OnInput("+OK\r\n"));
  EXPECT_EQ(reached, (std::vector<uint64_t>{0, 1}));
  link.OpenGate();
  EXPECT_EQ(link.TakeOutput(), "*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n2\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n"));
  EXPECT_FALSE(link.HasUnacked());
}

// A link with nothing outstanding reaches the gate at once; a gate opened from inside the
// callback (one shard, which coordinates itself) lets everything through in one go.
TEST(UpstreamLink, GateOpenedFromItsCallbackPassesAtOnce) {
  UpstreamLink link("", "");
  std::vector<uint64_t> reached;
  link.set_on_gate([&](uint64_t gate) {
    reached.push_back(gate);
    link.OpenGate();
  });
  link.Connected();
  Rec(link, 2, {"FLUSHDB"});
  Rec(link, 2, {"SET", "k", "v"});
  EXPECT_EQ(reached, std::vector<uint64_t>{0});
  EXPECT_EQ(link.TakeOutput(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$7\r\nFLUSHDB\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n+OK\r\n"));
  EXPECT_EQ(reached, (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(link.TakeOutput(), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
}

// Records read back from the journal: a flush among them is fenced like a live one, but its
// gates are reported only from FenceAtStart on (when every shard has read its journal). The
// held records encode back to the journal's form, with their size counted.
TEST(UpstreamLink, ReplayedFlushesAreFencedOnceStartedAndRecordsEncodeAsAJournal) {
  UpstreamLink link("", "");
  std::vector<uint64_t> reached;
  link.set_on_gate([&](uint64_t gate) { reached.push_back(gate); });
  const std::vector<std::string_view> flush = {"FLUSHALL"}, set = {"SET", "a", "1"};
  link.Replay(1, flush);
  link.Replay(1, set);
  Rec(link, 0, {"DEL", "a"});
  std::string held;
  link.AppendHeld(&held);
  EXPECT_EQ(held,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*1\r\n$8\r\nFLUSHALL\r\n"
            "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*2\r\n$3\r\nDEL\r\n$1\r\na\r\n");
  EXPECT_EQ(link.held_bytes(), 18u + 27u + 20u) << "the records without their SELECTs";
  link.Connected();
  EXPECT_EQ(link.TakeOutput(), "") << "the flush's first gate is closed";
  EXPECT_TRUE(reached.empty()) << "no gate is reported before FenceAtStart";
  link.FenceAtStart(0);
  EXPECT_EQ(reached, std::vector<uint64_t>{0});
  link.OpenGate();
  EXPECT_EQ(link.TakeOutput(), "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*1\r\n$8\r\nFLUSHALL\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n+OK\r\n"));
  EXPECT_EQ(reached, (std::vector<uint64_t>{0, 1}));
  link.OpenGate();
  EXPECT_EQ(link.TakeOutput(),
            "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*2\r\n$3\r\nDEL\r\n$1\r\na\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n+OK\r\n:1\r\n"));
  EXPECT_FALSE(link.HasUnacked());
  EXPECT_EQ(link.held_bytes(), 0u);
}

// A shard whose journal no longer holds a flush that another shard's does starts behind an
// empty fence for it: nothing goes out until both of its gates are opened.
TEST(UpstreamLink, EmptyFencesAtStartHoldEverythingBack) {
  UpstreamLink link("", "");
  std::vector<uint64_t> reached;
  link.set_on_gate([&](uint64_t gate) { reached.push_back(gate); });
  const std::vector<std::string_view> set = {"SET", "b", "2"};
  link.Replay(0, set);
  link.FenceAtStart(1);
  link.Connected();
  EXPECT_EQ(reached, std::vector<uint64_t>{0});
  EXPECT_EQ(link.TakeOutput(), "");
  link.OpenGate();
  EXPECT_EQ(reached, (std::vector<uint64_t>{0, 1})) << "nothing to wait for before gate 1";
  EXPECT_EQ(link.TakeOutput(), "");
  link.OpenGate();
  EXPECT_EQ(link.TakeOutput(), "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
}

// Past the memory limit records are counted, not kept; handed back with Refill they go out in
// their place, and recording stays spilled until every spilled record is back.
TEST(UpstreamLink, RecordsPastTheMemoryLimitSpillAndComeBackInOrder) {
  UpstreamLink link("", "");
  link.set_memory_limit(100);
  int spills = 0;
  link.set_on_spill([&] { ++spills; });
  const std::string big(60, 'x');
  Rec(link, 0, {"SET", "a", big});  // the first record is always kept
  Rec(link, 0, {"SET", "b", big});
  Rec(link, 0, {"SET", "c", "1"});  // small, but after a spilled one
  EXPECT_EQ(spills, 1);
  EXPECT_EQ(link.spilled(), 2u);
  EXPECT_EQ(link.recorded(), 3u);
  EXPECT_FALSE(link.WantsRefill()) << "the held record is over half the limit";
  link.Connected();
  EXPECT_EQ(link.TakeOutput(), "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$60\r\n" + big + "\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n"));
  EXPECT_EQ(link.acked(), 1u);
  EXPECT_TRUE(link.WantsRefill());
  const std::vector<std::string_view> b = {"SET", "b", big}, c = {"SET", "c", "1"};
  link.Refill(0, b);
  EXPECT_EQ(link.spilled(), 1u);
  Rec(link, 0, {"SET", "d", "2"});
  EXPECT_EQ(link.spilled(), 2u) << "still spilling while older records are spilled";
  link.Refill(0, c);
  EXPECT_EQ(link.TakeOutput(), "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$60\r\n" + big +
                                   "\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n1\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n+OK\r\n"));
  const std::vector<std::string_view> d = {"SET", "d", "2"};
  link.Refill(0, d);
  EXPECT_EQ(link.spilled(), 0u);
  EXPECT_EQ(link.TakeOutput(), "*3\r\n$3\r\nSET\r\n$1\r\nd\r\n$1\r\n2\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n"));
  EXPECT_FALSE(link.HasUnacked());
  Rec(link, 0, {"SET", "e", "3"});
  EXPECT_EQ(link.spilled(), 0u) << "under the limit again";
}

// A big record goes out by reference, between the bytes of the small ones around it, in order.
TEST(UpstreamLink, BigRecordsGoOutInPlace) {
  UpstreamLink link("", "");
  link.Connected();
  const std::string big(UpstreamLink::kSendInPlace, 'v');
  Rec(link, 0, {"SET", "a", "1"});
  Rec(link, 0, {"SET", "big", big});
  Rec(link, 2, {"SET", "c", "3"});
  std::vector<UpstreamLink::OutputPiece> pieces = link.TakeOutputPieces();
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].shared, nullptr);
  EXPECT_EQ(pieces[0].bytes, "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n");
  ASSERT_NE(pieces[1].shared, nullptr);
  EXPECT_EQ(*pieces[1].shared, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" +
                                   std::to_string(big.size()) + "\r\n" + big + "\r\n");
  EXPECT_EQ(pieces[2].bytes,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n");
  // Acknowledged and dropped from the link, the big record's bytes live on in the piece.
  ASSERT_TRUE(link.OnInput("+OK\r\n+OK\r\n+OK\r\n+OK\r\n"));
  EXPECT_FALSE(link.HasUnacked());
  EXPECT_EQ(pieces[1].shared->size(), big.size() + 32);
  EXPECT_EQ(link.stats().sent_bytes,
            pieces[0].bytes.size() + pieces[1].shared->size() + pieces[2].bytes.size());
}

// A query goes out after the records made before it and before those made after it, in its
// own database, and its reply (not an acknowledgement) goes to its callback, relayed as sent.
TEST(UpstreamLink, QueriesKeepTheirPlaceAmongRecords) {
  UpstreamLink link("", "");
  link.Connected();
  std::vector<std::string> got;
  const auto keep = [&](const redisReply* r, bool) {
    std::string text;
    AppendReply(&text, r);
    got.push_back(text);
  };
  Rec(link, 0, {"SET", "a", "1"});
  const std::string_view get_a[] = {"GET", "a"};
  link.Query(0, get_a, /*resend=*/true, keep);
  Rec(link, 0, {"SET", "a", "2"});
  const std::string_view get_b[] = {"MGET", "b", "c"};
  link.Query(2, get_b, /*resend=*/true, keep);
  EXPECT_EQ(link.TakeOutput(),
            "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
            "*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
            "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n2\r\n"
            "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"
            "*3\r\n$4\r\nMGET\r\n$1\r\nb\r\n$1\r\nc\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n$1\r\n1\r\n+OK\r\n+OK\r\n*2\r\n$-1\r\n$1\r\nx\r\n"));
  EXPECT_EQ(got, (std::vector<std::string>{"$1\r\n1\r\n", "*2\r\n$-1\r\n$1\r\nx\r\n"}));
  EXPECT_EQ(link.acked(), 2u) << "query replies acknowledge no record";
  EXPECT_EQ(link.queries(), 0u);
}

// Replies are relayed as the upstream sent them, a nil array included (hiredis parses both
// nils alike).
TEST(UpstreamLink, RelayedRepliesKeepTheirNils) {
  UpstreamLink link("", "");
  link.Connected();
  std::string got;
  const std::string_view cmd[] = {"EXEC"};
  link.Query(0, cmd, false, [&](const redisReply* r, bool) { AppendReply(&got, r); });
  link.TakeOutput();
  const std::string reply = "*3\r\n*-1\r\n$-1\r\n*2\r\n:-5\r\n-ERR no\r\n";
  ASSERT_TRUE(link.OnInput(reply));
  EXPECT_EQ(got, reply);
}

// A query that cannot be sent yet (its records are behind a closed gate) waits with them.
TEST(UpstreamLink, QueriesWaitBehindAClosedGate) {
  UpstreamLink link("", "");
  link.set_on_gate([](uint64_t) {});
  link.Connected();
  Rec(link, 0, {"SET", "a", "1"});
  Rec(link, 0, {"FLUSHALL"});
  int answered = 0;
  const std::string_view get[] = {"GET", "a"};
  link.Query(0, get, true, [&](const redisReply*, bool) { ++answered; });
  link.TakeOutput();
  ASSERT_TRUE(link.OnInput("+OK\r\n"));
  link.OpenGate();
  EXPECT_EQ(link.TakeOutput(), "*1\r\n$8\r\nFLUSHALL\r\n") << "the query is after the flush";
  ASSERT_TRUE(link.OnInput("+OK\r\n"));
  EXPECT_EQ(link.TakeOutput(), "");
  link.OpenGate();
  EXPECT_EQ(link.TakeOutput(), "*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
  ASSERT_TRUE(link.OnInput("$-1\r\n"));
  EXPECT_EQ(answered, 1);
}

// When the connection drops, a read in flight is asked again on the next one; a write in
// flight fails (it may have run), and one not sent yet goes on the next connection.
TEST(UpstreamLink, LostQueriesGoAgainOnlyWhenHarmless) {
  UpstreamLink link("", "");
  link.Connected();
  std::vector<std::string> got;
  const auto keep = [&](const redisReply* r, bool) {
    std::string text = "null";
    if (r != nullptr) {
      text.clear();
      AppendReply(&text, r);
    }
    got.push_back(text);
  };
  const std::string_view read[] = {"GET", "a"};
  const std::string_view write[] = {"HSET", "h", "f", "v"};
  link.Query(0, read, true, keep);
  link.Query(0, write, false, keep);
  link.TakeOutput();
  link.Query(0, write, false, keep);
  link.Disconnected();
  EXPECT_EQ(got, std::vector<std::string>{"null"}) << "the write in flight failed";
  link.Connected();
  EXPECT_EQ(link.TakeOutput(),
            "*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
            "*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n");
  ASSERT_TRUE(link.OnInput("$1\r\nx\r\n:1\r\n"));
  EXPECT_EQ(got, (std::vector<std::string>{"null", "$1\r\nx\r\n", ":1\r\n"}));
}

// Tracking: registered after AUTH on every connection once a redirect is known; a query says
// it was tracked only if it ran after the registration and nothing broke it since; losing
// the connection, a refused registration or a new redirect all report a loss.
TEST(UpstreamLink, TrackingIsRegisteredOnEveryConnectionAndItsLossReported) {
  UpstreamLink link("", "pw");
  int lost = 0;
  link.set_on_tracking_lost([&] { ++lost; });
  std::vector<bool> tracked;
  const auto keep = [&](const redisReply*, bool t) { tracked.push_back(t); };
  const std::string_view get[] = {"GET", "a"};
  link.Connected();
  link.set_tracking_redirect(42);
  EXPECT_TRUE(link.tracking());
  EXPECT_EQ(link.TakeOutput(),
            "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n"
            "*7\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\nON\r\n$8\r\nREDIRECT\r\n$2\r\n42\r\n"
            "$5\r\nBCAST\r\n$6\r\nNOLOOP\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n+OK\r\n"));
  link.Query(0, get, true, keep);
  link.TakeOutput();
  ASSERT_TRUE(link.OnInput("$-1\r\n"));
  // Sent while tracked, answered after the registration went away: not tracked.
  link.Query(0, get, true, keep);
  link.TakeOutput();
  link.set_tracking_redirect(0);
  EXPECT_EQ(lost, 1);
  ASSERT_TRUE(link.OnInput("$-1\r\n"));
  EXPECT_EQ(tracked, (std::vector<bool>{true, false}));

  link.set_tracking_redirect(7);
  link.Disconnected();
  EXPECT_EQ(lost, 2) << "a dropped connection loses the registration";
  link.Connected();
  EXPECT_NE(link.TakeOutput().find("REDIRECT\r\n$1\r\n7\r\n"), std::string::npos)
      << "registered again on the new connection";
  ASSERT_TRUE(link.OnInput("+OK\r\n-ERR tracking is off here\r\n"));
  EXPECT_EQ(lost, 3) << "a refused registration";
  EXPECT_FALSE(link.tracking());
  EXPECT_TRUE(link.ready()) << "records still flow";
}

}  // namespace
}  // namespace ringside::backend
