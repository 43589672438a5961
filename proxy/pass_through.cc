// How pass-through and relay mode work: proxy/pass_through.h.
#include "proxy/pass_through.h"

#include <spdlog/spdlog.h>

#include "proxy/commands/args.h"
#include "proxy/connection.h"
#include "proxy/dispatcher.h"
#include "proxy/worker.h"
#include "resp/reply_scanner.h"
#include "shards/slot.h"

namespace ringside::proxy {

namespace {

// Relay arguments longer than this are not forgotten at the end (they are values, not keys;
// a key that long is still dropped when the upstream reports it changed).
constexpr size_t kMaxForgottenArg = 1024;
constexpr size_t kMaxForgottenArgs = 4096;

constexpr std::string_view kUnreachable =
    "-ERR the upstream is unreachable, so this command cannot be passed to it\r\n";

// With upstream-db, the database numbers a command names (SELECT n, MOVE key n,
// COPY src dst DB n) move by the same offset as the connection's own database: the command
// goes out of *storage and *views instead of `args`, which it returns. A number that is not a
// database here becomes -1, which the upstream refuses as out of range, as Redis would refuse
// the number itself.
std::span<const std::string_view> ShiftDbArgs(std::span<const std::string_view> args,
                                              const CommandRow* row, int base, int databases,
                                              std::vector<std::string>* storage,
                                              std::vector<std::string_view>* views) {
  size_t at = 0;
  const DbArg where = row != nullptr ? row->db_arg : DbArg::kNone;
  if (where == DbArg::kLast && static_cast<int64_t>(args.size()) == row->arity) {
    at = args.size() - 1;
  } else if (where == DbArg::kOptionDb) {
    for (size_t i = 3; i + 1 < args.size(); ++i) {
      if (EqualsNoCase(args[i], "db")) at = i + 1;
    }
  }
  int64_t db = 0;
  if (base == 0 || at == 0 || !ParseInt64(args[at], &db)) return args;
  storage->assign(args.begin(), args.end());
  (*storage)[at] = db >= 0 && db < databases ? std::to_string(db + base) : "-1";
  views->assign(storage->begin(), storage->end());
  return *views;
}

}  // namespace

bool PassThrough::Refused(const CommandRow* row, std::string_view lower_name, std::string* error) {
  if (row == nullptr || (row->flags & kUpstreamRefused) == 0) return false;
  *error = "ERR '" + std::string(lower_name) +
           "' is about the connection to the upstream itself, which ringside does not pass on";
  return true;
}

bool PassThrough::NeedsAllShards(const CommandRow* row, size_t argc) {
  return argc < 2 || (row != nullptr && (row->flags & kAnyKeys));
}

void PassThrough::Execute(std::span<std::string_view> args, bool any_keys) {
  const CommandRow* row = CommandTable::Get().FindAny(args[0]);
  std::string refused;
  if (Refused(row, LowerName(args[0]), &refused)) {
    resp::Writer(conn_->SyncReplyTarget()).Error(refused);
    return;
  }
  any_keys = any_keys || NeedsAllShards(row, args.size());
  auto owned = std::make_shared<OwnedArgs>();
  std::vector<std::string> shifted;
  std::vector<std::string_view> shifted_views;
  const std::span<const std::string_view> sent =
      ShiftDbArgs(args, row, worker_->config().upstream_db, worker_->config().databases, &shifted,
                  &shifted_views);
  if (sent.data() != args.data()) {
    for (std::string_view a : sent) owned->Add(a);
  } else {
    for (size_t i = 0; i < args.size(); ++i) conn_->AddArg(args, i, owned.get());
  }
  const uint64_t seq = conn_->ReserveSlot();
  const int db = conn_->db();
  const bool reads = false;  // unknown: a lost connection fails it rather than run it twice
  // Sends the command on `w`'s connection and completes the slot with the reply, back home.
  const int home = worker_->index();
  const bool resp3 = conn_->protocol() == resp::Protocol::kResp3;
  auto send = [owned, db, reads, seq, home, resp3, self = conn_](Worker& w) {
    const std::vector<std::string_view> views = owned->Views();
    auto reply_home = [seq, home, resp3, self](Worker& at, std::string reply) {
      // A RESP3 client's commands come here only when their replies differ from RESP2's in
      // nulls alone (KEYS, SCAN, DBSIZE, RANDOMKEY); any other goes over a relay in RESP3.
      if (resp3) reply = resp::Resp2NullsToResp3(reply);
      // Owns the reply; `self` is dereferenced only on `home`, kept alive by slot `seq`.
      at.Submit(home, MakeTask([seq, self, reply = std::move(reply)](Worker&) mutable {
                  self->Complete(seq, std::move(reply));
                }));
    };
    if (!w.backend().UpstreamReachable()) {
      return reply_home(w, std::string(kUnreachable));
    }
    w.PassThrough(db, views, reads, reply_home);
  };
  if (!any_keys) {
    const int target = shards::KeyShard(args[1], worker_->num_workers());
    const std::string key(args[1]);
    dispatcher_->SubmitBatches();
    // After the commands waiting for the key to load, which came before this one.
    // Captures copies only (key, db, `send`, whose `owned` is shared); `self` in `send` is
    // dereferenced only back on `home`, where slot `seq` keeps the connection alive.
    worker_->Submit(target, MakeTask([send, key, db](Worker& w) {
                      w.read_through()->AfterLoadOf(db, key, [&w, send, key] {
                        w.read_through()->ForgetKey(key);
                        send(w);
                      });
                    }));
    return;
  }
  // Every shard's records first, then the command on this shard's connection; nothing later
  // on this connection overtakes it.
  conn_->BlockUntil(seq);
  struct Barrier {
    int remaining;
    bool unreachable = false;  // some shard's connection is down: its records cannot arrive
  };
  auto barrier = std::make_shared<Barrier>(Barrier{worker_->num_workers()});
  auto arrived = [barrier, send, seq, self = conn_](Worker& h, bool reachable) {
    barrier->unreachable |= !reachable;
    if (--barrier->remaining > 0) return;
    if (!barrier->unreachable) return send(h);
    self->Complete(seq, std::string(kUnreachable));
  };
  for (int s = 0; s < worker_->num_workers(); ++s) {
    // Every shard's task shares `owned` read-only; `arrived`, its `barrier` and `self` are
    // touched only back on `home` (slot `seq` keeps the connection alive until Complete()).
    worker_->Submit(s, MakeTask([owned, arrived, home](Worker& w) {
                      for (std::string_view a : owned->Views()) {
                        if (shards::KeyShard(a, w.num_workers()) == w.index()) {
                          w.read_through()->ForgetKey(a);
                        }
                      }
                      if (!w.backend().UpstreamReachable()) {
                        // `arrived` (with `barrier` and `self`) runs only on `home`.
                        return w.Submit(home,
                                        MakeTask([arrived](Worker& h) { arrived(h, false); }));
                      }
                      w.AfterUpstreamAcked(MakeTask([arrived, home](Worker& at) {
                        // `arrived` (with `barrier` and `self`) runs only on `home`.
                        at.Submit(home, MakeTask([arrived](Worker& h) { arrived(h, true); }));
                      }));
                    }));
  }
}

void PassThrough::StartRelay(std::span<std::string_view> args) {
  relay_ = worker_->relays()->Take(this, worker_->store().NowMs());
  auto owned = std::make_shared<OwnedArgs>();
  for (size_t i = 0; i < args.size(); ++i) conn_->AddArg(args, i, owned.get());
  const uint64_t seq = conn_->ReserveSlot();
  conn_->BlockUntil(seq);
  // What every shard recorded so far reaches the upstream first, so that the relay sees it.
  const int home = worker_->index();
  auto barrier = std::make_shared<int>(worker_->num_workers());
  auto go = [self = this, seq, owned](Worker&) {
    if (self->relay_ != nullptr && !self->conn_->closing()) {
      if (self->conn_->protocol() == resp::Protocol::kResp3) self->relay_->link.UseResp3();
      if (self->conn_->db() != 0) {
        const std::string db = std::to_string(static_cast<int64_t>(self->conn_->db()) +
                                              self->worker_->config().upstream_db);
        const std::string_view select[] = {"SELECT", db};
        self->relay_->link.Send(select);
        ++self->relay_skip_;
      }
      self->Forward(owned->Views());
    }
    self->conn_->Complete(seq, std::string());
  };
  for (int s = 0; s < worker_->num_workers(); ++s) {
    // Each shard's task only carries `barrier` and `go` back: both are touched only on `home`,
    // where slot `seq` keeps `self` alive until Complete().
    worker_->Submit(s, MakeTask([barrier, go, home](Worker& w) {
                      w.AfterUpstreamAcked(MakeTask([barrier, go, home](Worker& at) {
                        // `barrier` is shared by every shard's task and touched only on `home`.
                        at.Submit(home, MakeTask([barrier, go](Worker& h) {
                                    if (--*barrier == 0) go(h);
                                  }));
                      }));
                    }));
  }
}

void PassThrough::Forward(std::span<const std::string_view> args) {
  const CommandRow* row = CommandTable::Get().FindAny(args[0]);
  RelayAction action;
  std::string refused;
  const std::string lower = LowerName(args[0]);
  // A login would change who the relay is upstream, and the client's rights here would no
  // longer be the relay's: AUTH and HELLO are refused while relaying, as commands about the
  // upstream connection are.
  if (lower == "auth" || lower == "hello") {
    refused = "ERR '" + lower +
              "' cannot change the user of a connection that ringside relays to the upstream "
              "(a transaction, WATCH, a subscription or a blocking command is open); send it "
              "before or after";
  }
  if (!refused.empty() || Refused(row, lower, &refused)) {
    // In its place goes a command the upstream does not know: it has no effect, fails a
    // transaction it is queued in as the refused command would, and its error reply is
    // replaced with the refusal.
    static constexpr std::string_view kStandIn[] = {"RINGSIDE.REFUSED"};
    action = {RelayAction::kReplace, 0, "-" + refused + "\r\n"};
    args = kStandIn;
    row = nullptr;
  }
  switch (row != nullptr ? row->relay : RelayEffect::kNone) {
    case RelayEffect::kNone:
      break;
    case RelayEffect::kQuit: {
      // The client leaves; the relay stays for the next one. A PING takes QUIT's place, so the
      // +OK comes after the replies before it. A subscriber's relay gets the QUIT itself (its
      // replies are not counted), and the client closes once the relay has.
      relay_quit_ = true;
      if (relay_subscribed_) {
        relay_->link.Send(args);
        return;
      }
      static constexpr std::string_view kPing[] = {"PING"};
      action = {RelayAction::kQuit, 0, {}};
      args = kPing;
      row = nullptr;
      break;
    }
    case RelayEffect::kMulti:
      relay_multi_ = true;
      relay_multi_db_ = -1;
      break;
    case RelayEffect::kExec:
    case RelayEffect::kDiscard:
      // A SELECT queued in the transaction takes effect with it.
      if (row->relay == RelayEffect::kExec && relay_multi_ && relay_multi_db_ >= 0) {
        action = {RelayAction::kExecSelect, relay_multi_db_, {}};
      }
      relay_multi_ = false;
      relay_watching_ = false;
      relay_multi_db_ = -1;
      break;
    case RelayEffect::kWatch:
      relay_watching_ = true;
      break;
    case RelayEffect::kUnwatch:
      if (!relay_multi_) relay_watching_ = false;
      break;
    case RelayEffect::kSubscribe:
      relay_subscribed_ = true;
      break;
    case RelayEffect::kSelect: {
      int64_t db = 0;
      if (args.size() == 2 && ParseInt64(args[1], &db) && db >= 0 &&
          db < worker_->config().databases) {
        if (relay_multi_) {
          relay_multi_db_ = static_cast<int>(db);
        } else {
          action = {RelayAction::kSelect, static_cast<int>(db), {}};
        }
      }
      break;
    }
  }
  std::vector<std::string> shifted;
  std::vector<std::string_view> shifted_views;
  args = ShiftDbArgs(args, row, worker_->config().upstream_db, worker_->config().databases,
                     &shifted, &shifted_views);
  // Once subscribed, replies no longer come one per command.
  if (!relay_subscribed_) relay_actions_.push_back(std::move(action));
  for (size_t i = 1; i < args.size() && relay_args_.size() < kMaxForgottenArgs; ++i) {
    if (args[i].size() <= kMaxForgottenArg) relay_args_.emplace_back(args[i]);
  }
  relay_->link.Send(args);
  worker_->read_through()->CountRelayed();
}

void PassThrough::OnRelayReply(std::string reply) {
  if (relay_skip_ > 0) {
    --relay_skip_;
    return;
  }
  if (!relay_actions_.empty()) {
    RelayAction action = std::move(relay_actions_.front());
    relay_actions_.pop_front();
    switch (action.kind) {
      case RelayAction::kNone:
        break;
      case RelayAction::kSelect:
        if (reply == "+OK\r\n") conn_->set_db(action.db);
        break;
      case RelayAction::kExecSelect:
        if (reply.size() > 1 && reply[0] == '*' && reply[1] != '-') conn_->set_db(action.db);
        break;
      case RelayAction::kReplace:
        reply = std::move(action.text);
        break;
      case RelayAction::kQuit:
        conn_->SyncReplyTarget()->Append(resp::Output{"+OK\r\n", {}});
        worker_->MarkDirty(conn_);
        EndRelay();
        conn_->CloseAfterReplies();
        return;
    }
  }
  conn_->SyncReplyTarget()->Append(resp::Output{std::move(reply), {}});
  worker_->MarkDirty(conn_);
  if (relay_ != nullptr && !relay_multi_ && !relay_watching_ && !relay_subscribed_ &&
      relay_->link.outstanding() == 0) {
    EndRelay();
  }
}

void PassThrough::EndRelay() {
  // What the relay's commands changed is read afresh: each argument that names a key here is
  // dropped by its shard, before any later command of this connection reaches that shard.
  for (const std::string& a : relay_args_) {
    const int shard = shards::KeyShard(a, worker_->num_workers());
    // Captures a copy of the argument only.
    worker_->Submit(shard, MakeTask([a](Worker& w) { w.read_through()->ForgetKey(a); }));
  }
  relay_args_.clear();
  worker_->relays()->Return(relay_, /*broken=*/false);
  relay_ = nullptr;
}

void PassThrough::OnRelayLost() {
  relay_ = nullptr;
  if (relay_quit_) {
    // It closed after answering the QUIT it was sent.
    conn_->CloseAfterReplies();
    worker_->MarkDirty(conn_);
    return;
  }
  spdlog::warn("closing client id={} addr={}: its upstream connection was lost", conn_->id(),
               conn_->addr());
  conn_->Kill();
}

void PassThrough::OnClosed() {
  if (relay_ != nullptr) {
    worker_->relays()->Return(relay_, /*broken=*/true);
    relay_ = nullptr;
  }
}

}  // namespace ringside::proxy
