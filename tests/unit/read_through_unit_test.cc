// backend::ReadThrough against a real UpstreamLink driven by bytes (and a fake dialer for its
// invalidation connection): when a part may run, what a load brings and keeps, keys of another
// type, timeouts, commands passed through, and what is dropped when tracking is lost.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "backend/read_through.h"
#include "backend/upstream_link.h"
#include "fake_dialer.h"
#include "shards/clock.h"
#include "shards/store.h"

namespace ringside::backend {
namespace {

class ReadThroughUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rt_ = std::make_unique<ReadThrough>(ReadThrough::Options{0, 1, 2, 1000, 4096, "", ""}, &store_,
                                        &link_, [this] { return clock_.NowMs(); });
    rt_->Open(&dialer_);
  }
  // The link connects with tracking registered, so that loads are tracked.
  void ConnectTracked() {
    link_.set_tracking_redirect(7);
    link_.Connected();
    link_.TakeOutput();
    ASSERT_TRUE(link_.OnInput("+OK\r\n"));  // CLIENT TRACKING ... BCAST NOLOOP
  }
  void Answer(std::string_view reply) {
    link_.TakeOutput();
    ASSERT_TRUE(link_.OnInput(reply));
  }
  ReadThrough::KeyWaiter Note() {
    return [this](KeyCase how, std::string_view error) {
      seen_.push_back(how);
      errors_.emplace_back(error);
    };
  }

  shards::FakeClock clock_;
  shards::Store store_{0, 1, 2, &clock_};
  UpstreamLink link_{"", ""};
  FakeDialer dialer_;
  std::unique_ptr<ReadThrough> rt_;
  std::vector<KeyCase> seen_;
  std::vector<std::string> errors_;
};

TEST_F(ReadThroughUnitTest, AKeyNeitherHereNorKnownAbsentIsLoadedOnceAndKeptWhenTracked) {
  ConnectTracked();
  EXPECT_FALSE(rt_->KeyReady(0, "k", /*overwrites=*/false));
  rt_->WaitForKey(0, "k", Note());
  EXPECT_FALSE(rt_->KeyReady(0, "k", false)) << "a second part waits behind the same load";
  rt_->WaitForKey(0, "k", Note());
  const std::string out = link_.TakeOutput();
  EXPECT_NE(out.find("EVAL"), std::string::npos) << out;
  EXPECT_EQ(out.find("EVAL"), out.rfind("EVAL")) << "one load for both";
  ASSERT_TRUE(link_.OnInput("*3\r\n$6\r\nstring\r\n$5\r\nvalue\r\n:5000\r\n"));
  EXPECT_EQ(seen_, (std::vector<KeyCase>{KeyCase::kHere, KeyCase::kHere}));
  const shards::Entry* e = store_.Find(0, "k");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->value(), "value");
  EXPECT_EQ(e->expire_at, clock_.NowMs() + 5000);
  EXPECT_TRUE(rt_->KeyReady(0, "k", false));
  EXPECT_EQ(rt_->stats().loads, 1u);
}

TEST_F(ReadThroughUnitTest, AnUntrackedLoadIsUsedButNotKept) {
  link_.Connected();
  EXPECT_FALSE(rt_->KeyReady(0, "k", false));
  rt_->WaitForKey(0, "k", [this](KeyCase how, std::string_view) {
    seen_.push_back(how);
    EXPECT_NE(store_.Find(0, "k"), nullptr) << "the waiting part sees the value";
  });
  Answer("*3\r\n$6\r\nstring\r\n$1\r\nv\r\n:-1\r\n");
  EXPECT_EQ(seen_, std::vector<KeyCase>{KeyCase::kHere});
  EXPECT_EQ(store_.Find(0, "k"), nullptr);
}

TEST_F(ReadThroughUnitTest, AbsentAndForeignKeysAreRememberedAndOverwritesNeedNoLoad) {
  ConnectTracked();
  EXPECT_TRUE(rt_->KeyReady(0, "fresh", /*overwrites=*/true));
  EXPECT_EQ(link_.TakeOutput(), "") << "SET needs no load";
  EXPECT_FALSE(rt_->KeyReady(0, "gone", false));
  rt_->WaitForKey(0, "gone", Note());
  Answer("*1\r\n$4\r\nnone\r\n");
  EXPECT_TRUE(rt_->KeyReady(0, "gone", false)) << "known absent upstream";
  EXPECT_EQ(rt_->stats().load_misses, 1u);
  EXPECT_FALSE(rt_->KeyReady(0, "h", false));
  rt_->WaitForKey(0, "h", Note());
  Answer("*1\r\n$4\r\nhash\r\n");
  EXPECT_FALSE(rt_->KeyReady(0, "h", false)) << "another type: its parts go upstream";
  rt_->WaitForKey(0, "h", Note());
  EXPECT_EQ(link_.TakeOutput(), "") << "no second load for a known foreign key";
  EXPECT_EQ(seen_, (std::vector<KeyCase>{KeyCase::kHere, KeyCase::kForward, KeyCase::kForward}));
  EXPECT_TRUE(rt_->KeyReady(0, "h", /*overwrites=*/true)) << "a SET replaces it";
  EXPECT_FALSE(rt_->KeyReady(1, "gone", false)) << "databases are apart";
}

TEST_F(ReadThroughUnitTest, AHashOrSetUpToTheMaxSizeIsLoadedWithItsTtl) {
  ConnectTracked();
  EXPECT_FALSE(rt_->KeyReady(0, "h", false));
  rt_->WaitForKey(0, "h", Note());
  const std::string out = link_.TakeOutput();
  EXPECT_NE(out.find("$4\r\n4096\r\n"), std::string::npos) << "the limit goes with the load";
  ASSERT_TRUE(link_.OnInput(
      "*3\r\n$4\r\nhash\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n:7000\r\n"));
  EXPECT_FALSE(rt_->KeyReady(0, "s", false));
  rt_->WaitForKey(0, "s", Note());
  Answer("*3\r\n$3\r\nset\r\n*2\r\n$1\r\n1\r\n$1\r\nx\r\n:-1\r\n");
  EXPECT_EQ(seen_, (std::vector<KeyCase>{KeyCase::kHere, KeyCase::kHere}));
  const shards::Entry* h = store_.Find(0, "h");
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->type(), shards::ObjType::kHash);
  EXPECT_EQ(h->hash().size(), 2u);
  std::string buf;
  std::string_view value;
  ASSERT_TRUE(h->hash().Get("g", &buf, &value));
  EXPECT_EQ(value, "w");
  EXPECT_EQ(h->expire_at, clock_.NowMs() + 7000);
  const shards::Entry* s = store_.Find(0, "s");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->type(), shards::ObjType::kSet);
  EXPECT_TRUE(s->set().Contains("1"));
  EXPECT_TRUE(s->set().Contains("x"));
  EXPECT_EQ(s->expire_at, shards::kNoExpiry);
  EXPECT_TRUE(rt_->KeyReady(0, "h", false));
}

TEST_F(ReadThroughUnitTest, AHashOrSetOverTheMaxSizeStaysUpstream) {
  ConnectTracked();
  rt_->set_max_size(0);
  EXPECT_FALSE(rt_->KeyReady(0, "big", false));
  rt_->WaitForKey(0, "big", Note());
  const std::string out = link_.TakeOutput();
  EXPECT_NE(out.find("$1\r\n0\r\n"), std::string::npos) << out;
  ASSERT_TRUE(link_.OnInput("*1\r\n$3\r\nset\r\n"));  // the script's answer for a bigger one
  EXPECT_EQ(seen_, std::vector<KeyCase>{KeyCase::kForward});
  EXPECT_EQ(store_.Find(0, "big"), nullptr);
  EXPECT_FALSE(rt_->KeyReady(0, "big", false)) << "known to be the upstream's";
  EXPECT_EQ(link_.TakeOutput(), "") << "and not asked again";
}

TEST_F(ReadThroughUnitTest, ALoadPastUpstreamTimeoutFailsItsParts) {
  link_.Connected();
  EXPECT_FALSE(rt_->KeyReady(0, "k", false));
  rt_->WaitForKey(0, "k", Note());
  clock_.Advance(500);
  rt_->Tick(clock_.NowMs());
  EXPECT_TRUE(seen_.empty());
  clock_.Advance(600);
  rt_->Tick(clock_.NowMs());
  ASSERT_EQ(seen_, std::vector<KeyCase>{KeyCase::kFailed});
  EXPECT_NE(errors_[0].find("upstream-timeout"), std::string::npos) << errors_[0];
}

TEST_F(ReadThroughUnitTest, APassedThroughCommandGetsItsReplyOrTheTimeout) {
  link_.Connected();
  std::vector<std::string> replies;
  const std::string_view hset[] = {"HSET", "h", "f", "v"};
  rt_->PassThrough(0, hset, /*resend=*/false, [&](std::string r) { replies.push_back(r); });
  Answer(":1\r\n");
  rt_->PassThrough(0, hset, false, [&](std::string r) { replies.push_back(r); });
  clock_.Advance(1001);
  rt_->Tick(clock_.NowMs());
  Answer(":0\r\n");  // too late: the client was told already
  EXPECT_EQ(replies,
            (std::vector<std::string>{
                ":1\r\n", "-ERR the upstream did not answer in time (upstream-timeout)\r\n"}));
  EXPECT_EQ(rt_->stats().passed_through, 2u);
}

TEST_F(ReadThroughUnitTest, ForgetKeyDropsItInEveryDatabaseAndAsksALoadAgain) {
  ConnectTracked();
  store_.Set(0, "k", std::string("a"));
  store_.Set(1, "k", std::string("b"));
  rt_->ForgetKey("k");
  EXPECT_EQ(store_.Find(0, "k"), nullptr);
  EXPECT_EQ(store_.Find(1, "k"), nullptr);

  EXPECT_FALSE(rt_->KeyReady(0, "j", false));
  rt_->WaitForKey(0, "j", Note());
  link_.TakeOutput();
  rt_->ForgetKey("j");  // changed upstream while the load was out: its answer may be stale
  ASSERT_TRUE(link_.OnInput("*3\r\n$6\r\nstring\r\n$3\r\nold\r\n:-1\r\n"));
  EXPECT_TRUE(seen_.empty()) << "asked again instead";
  Answer("*3\r\n$6\r\nstring\r\n$3\r\nnew\r\n:-1\r\n");
  ASSERT_EQ(seen_, std::vector<KeyCase>{KeyCase::kHere});
  EXPECT_EQ(store_.Find(0, "j")->value(), "new");
}

TEST_F(ReadThroughUnitTest, LosingTrackingDropsAllButTheKeysWithUnacknowledgedRecords) {
  ConnectTracked();
  store_.Set(0, "loaded", std::string("1"));
  store_.Set(0, "mine", std::string("2"));
  const std::string_view set[] = {"SET", "mine", "2"};
  link_.Record(0, set);  // not acknowledged yet
  link_.Disconnected();  // the registration is gone with the connection
  EXPECT_EQ(store_.Find(0, "loaded"), nullptr);
  ASSERT_NE(store_.Find(0, "mine"), nullptr) << "newer here than upstream";
}

}  // namespace
}  // namespace ringside::backend
