#include "proxy/dispatcher.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "proxy/access.h"
#include "proxy/acl/catalog.h"
#include "proxy/commands/args.h"
#include "proxy/commands/auth.h"
#include "proxy/connection.h"
#include "proxy/key_parts.h"
#include "proxy/server.h"
#include "proxy/worker.h"
#include "shards/slot.h"

namespace ringside::proxy {

namespace {

// Commands for one shard carried by one task at most.
constexpr size_t kMaxBatch = 64;

// What Redis's catalog says of a command (served here or not): whether it is administrative
// (MONITOR leaves those out) and whether it may write (CLIENT PAUSE WRITE holds those).
struct CatalogFlags {
  bool admin = false;
  bool write = true;
};
CatalogFlags FlagsOf(std::span<const std::string_view> args) {
  const acl::Catalog& catalog = acl::Catalog::Get();
  int id = catalog.Find(args[0]);
  if (id < 0) return {};
  if (args.size() >= 2 && !catalog.Subcommands(id).empty()) {
    if (const int sub = catalog.FindSub(id, LowerName(args[1])); sub >= 0) id = sub;
  }
  return {catalog.InCategory(id, acl::kAdmin), catalog.InCategory(id, acl::kWrite)};
}

// Runs a kMultiKey command's handler on one key group (a key, or a key and its value) of
// `name`. `promoted`, when set, holds the big arguments, positioned so that group[i] is index
// base + 1 + i.
void RunKeyGroup(const CommandRow& row, std::string_view name, const std::string_view* group,
                 size_t step, Worker& w, int db, resp::Protocol proto, const Caller& who,
                 int64_t max_bulk, PromotedArgs* promoted, uint32_t base, resp::Output* reply) {
  std::string_view argv[3] = {name, {}, {}};
  for (size_t i = 0; i < step; ++i) argv[1 + i] = group[i];
  resp::Writer out(reply, proto);
  CommandContext ctx{std::span<const std::string_view>(argv, 1 + step), db, &w.store(), &out,
                     max_bulk};
  ctx.proto = proto;
  ctx.promoted = promoted;
  ctx.promoted_base = base;
  w.RunHandler(row, row.handler, ctx, who);
}

}  // namespace

Dispatcher::Dispatcher(Connection* conn, Worker* worker)
    : conn_(conn), worker_(worker), pass_(conn, worker, this) {
  batches_.resize(static_cast<size_t>(worker->num_workers()));
}

Caller Dispatcher::caller() const { return Caller{conn_->id(), worker_->index(), track_}; }

bool Dispatcher::Allowed(const CommandRow* row, std::span<const std::string_view> args) {
  if (!conn_->RefreshUser()) {
    // Its user was deleted (ACL DELUSER closes the user's clients).
    conn_->Kill();
    return false;
  }
  if (conn_->NeedsAuth() && (row == nullptr || (row->flags & kNoAuth) == 0)) {
    resp::Writer(conn_->SyncReplyTarget()).Error("NOAUTH Authentication required.");
    return false;
  }
  const acl::User& user = conn_->user();
  if (user.unrestricted) return true;
  std::string error;
  const acl::CommandAccess access = DescribeAccess(row, args);
  if (Permitted(
          user, access, args, worker_->server().users(),
          static_cast<size_t>(worker_->config().acllog_max_len),
          [this] { return FormatClientLine(worker_->InfoOf(*conn_)); }, &error)) {
    return true;
  }
  resp::Writer(conn_->SyncReplyTarget()).Error(error);
  return false;
}

void Dispatcher::Execute(std::span<std::string_view> args) {
  conn_->BeginCommand();
  ClientTracking& tracking = conn_->tracking();
  track_ = tracking.TracksReads();
  ExecuteCommand(args);
  // CLIENT CACHING is about the one command after it.
  if (tracking.caching_fresh) {
    tracking.caching_fresh = false;
  } else {
    tracking.caching = ClientTracking::Caching::kUnset;
  }
  conn_->EndCommand();
}

void Dispatcher::ExecuteCommand(std::span<std::string_view> args) {
  worker_->stats().commands++;
  if (pass_.quit()) return;  // commands after a QUIT are not run
  const CommandRow* row = CommandTable::Get().FindAny(args[0]);
  const bool served = row != nullptr && (row->flags & kUpstreamOnly) == 0 &&
                      !((row->flags & kNoReadThrough) && worker_->ReadThrough());
  // As in Redis, an unknown command and a wrong number of arguments are answered before
  // authentication and permissions are looked at.
  if (!pass_.relaying()) {
    if (!served && !worker_->ReadThrough()) {
      resp::Writer(conn_->SyncReplyTarget()).Error(UnknownCommandError(args));
      return;
    }
    if (served) {
      std::string last_cmd(row->name);
      if ((row->flags & kContainer) && args.size() >= 2) {
        last_cmd += '|';
        for (char c : args[1])
          last_cmd += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      conn_->set_last_cmd(std::move(last_cmd));
      if (!ArityOk(*row, args.size())) {
        resp::Writer(conn_->SyncReplyTarget()).Error(ArityError(row->name));
        return;
      }
    }
  }
  if (worker_->server().AuthPending()) {
    // auth-mode upstream, just started: who the default user is comes from the upstream.
    if (!batched_targets_.empty()) SubmitBatches();
    Defer(DeferredKind::kRerun, nullptr, args);
    worker_->NotePaused(conn_);
    return;
  }
  if (const auto& login = conn_->upstream_login();
      login && !pass_.relaying() && worker_->store().NowMs() >= login->recheck_ms) {
    return RecheckLogin(args);
  }
  if (!Allowed(row, args)) return;
  Server& server = worker_->server();
  if (server.PauseSet() && server.Paused(true, worker_->store().NowMs())) {
    const bool write = row != nullptr ? (row->flags & kWrite) != 0 : FlagsOf(args).write;
    if (server.Paused(write, worker_->store().NowMs())) {
      // Held, with the input after it, until the pause ends; then it runs from the start.
      if (!batched_targets_.empty()) SubmitBatches();
      Defer(DeferredKind::kRerun, nullptr, args);
      worker_->NotePaused(conn_);
      return;
    }
  }
  if (server.monitors() > 0 && !FlagsOf(args).admin) worker_->FeedMonitors(*conn_, args);
  if (pass_.relaying()) return pass_.Forward(args);
  if (!served) {
    // With read-through the upstream serves what the local store does not.
    {
      // A RESP3 client gets the upstream's RESP3 reply: its command goes over a relay of its
      // own switched to RESP3, the shared connections speaking RESP2.
      const bool relay =
          (row != nullptr && (row->flags & kRelay)) || conn_->protocol() == resp::Protocol::kResp3;
      if (!relay && !PassThrough::NeedsAllShards(row, args.size())) {
        return pass_.Execute(args, /*any_keys=*/false);
      }
      // Relay mode, and a command that waits for every shard's records, start once the
      // connection's earlier commands are done (their records made, their passed-through
      // commands answered).
      if (!batched_targets_.empty()) SubmitBatches();
      if (conn_->outstanding() > 0) {
        return Defer(relay ? DeferredKind::kRelay : DeferredKind::kPassThrough, nullptr, args);
      }
      if (relay) return pass_.StartRelay(args);
      return pass_.Execute(args, /*any_keys=*/true);
    }
  }
  if ((row->flags & kKeyspace) && worker_->ReadThrough()) {
    if (!batched_targets_.empty()) SubmitBatches();
    if (conn_->outstanding() > 0) return Defer(DeferredKind::kPassThrough, nullptr, args);
    return pass_.Execute(args, /*any_keys=*/true);
  }
  // While an append-only file cannot be written, writes are refused rather than kept only in
  // memory; PING too, as Redis does, so health checks notice.
  int aof_errno = 0;
  if ((row->flags & (kWrite | kDenyOnAofError)) && worker_->server().AofWritesFailing(&aof_errno)) {
    resp::Writer(conn_->SyncReplyTarget())
        .Error(std::string("MISCONF Errors writing to the AOF file: ") + std::strerror(aof_errno));
    return;
  }
  // Past maxmemory, this shard evicts first; a write that adds data is refused when nothing
  // could go, as Redis refuses it.
  if ((row->flags & kWrite) && worker_->ReclaimMemory() == Worker::MemoryState::kFull &&
      (row->flags & kDenyOom)) {
    resp::Writer(conn_->SyncReplyTarget())
        .Error("OOM command not allowed when used memory > 'maxmemory'.");
    return;
  }
  // Work for other shards that is still batched goes out before any command that might touch
  // those shards another way, so per-shard order stays request order.
  if (row->exec != Exec::kSingleKey && !batched_targets_.empty()) SubmitBatches();
  if ((row->flags & kChain) && conn_->outstanding() > 0)
    return Defer(DeferredKind::kRow, row, args);
  Run(*row, args, conn_->promoted());
}

void Dispatcher::RecheckLogin(std::span<std::string_view> args) {
  if (!batched_targets_.empty()) SubmitBatches();
  const uint64_t seq = conn_->ReserveSlot();
  Defer(DeferredKind::kRerun, nullptr, args);
  // As in Redis, a logged-in client stays logged in when its password changes, takes on its
  // user's new rights, and is closed when its user is deleted. The slot keeps the connection
  // alive until the answer, which comes on this thread.
  auto close = [conn = conn_](const std::string& why) {
    spdlog::info("closing client id={} addr={}: {}", conn->id(), conn->addr(), why);
    conn->Kill();
  };
  DescribeUserUpstream(
      *worker_, conn_->upstream_login()->user, [this, seq, close](UpstreamAuthResult r) {
        Connection* conn = conn_;
        Connection::UpstreamLogin login = *conn->upstream_login();
        if (r.user != nullptr) {
          login.recheck_ms = worker_->store().NowMs() +
                             static_cast<int64_t>(worker_->config().auth_cache_ttl) * 1000;
          conn->LogInUpstream(std::move(r.user), std::move(login));
          return conn->Complete(seq, std::string());
        }
        if (r.missing) {
          close("its user is no longer the upstream's");
          return conn->Complete(seq, std::string());
        }
        // ringside's upstream-user may not read users: the login itself is checked again.
        CheckUpstreamLogin(*worker_, *conn, "auth", std::move(login.user),
                           std::move(login.password), [conn, seq, close](const std::string& error) {
                             if (!error.empty())
                               close("the upstream no longer accepts its login (" + error + ")");
                             conn->Complete(seq, std::string());
                           });
      });
}

void Dispatcher::Defer(DeferredKind kind, const CommandRow* row, std::span<std::string_view> args) {
  // Earlier commands are still out on other shards: keep this one (its arguments copied, big
  // ones by reference) until they are done; OnWake runs it.
  Deferred d;
  d.kind = kind;
  d.row = row;
  for (size_t i = 0; i < args.size(); ++i) conn_->AddArg(args, i, &d.args);
  deferred_ = std::move(d);
}

void Dispatcher::RunDeferred() {
  Deferred d = std::move(*deferred_);
  deferred_.reset();
  std::vector<std::string_view> views = d.args.Views();
  switch (d.kind) {
    case DeferredKind::kRelay:
      return pass_.StartRelay(views);
    case DeferredKind::kRerun:
      // It may be batched for another shard like any command: the batch leaves now.
      ExecuteCommand(views);
      return SubmitBatches();
    case DeferredKind::kPassThrough:
      return pass_.Execute(views, /*any_keys=*/true);
    case DeferredKind::kRow:
      return Run(*d.row, views, d.args.shared());
  }
}

void Dispatcher::Run(const CommandRow& row, std::span<std::string_view> args,
                     PromotedArgs* promoted) {
  switch (row.exec) {
    case Exec::kSingleKey:
      ExecuteSingleKey(row, args);
      return;
    case Exec::kMultiKey:
      ExecuteMultiKey(row, args);
      return;
    case Exec::kLocal: {
      resp::Writer out(conn_->SyncReplyTarget(), conn_->protocol());
      CommandContext ctx{
          args,    conn_->db(), &worker_->store(), &out, worker_->config().proto_max_bulk_len,
          worker_, conn_};
      ctx.proto = conn_->protocol();
      ctx.promoted = promoted;
      worker_->RunHandler(row, row.handler, ctx, caller());
      return;
    }
    case Exec::kAsync: {
      CommandContext ctx{
          args,    conn_->db(), &worker_->store(), nullptr, worker_->config().proto_max_bulk_len,
          worker_, conn_};
      ctx.proto = conn_->protocol();
      ctx.promoted = promoted;
      ctx.seq = conn_->ReserveSlot();
      worker_->RunHandler(row, row.handler, ctx, caller());
      return;
    }
  }
}

void Dispatcher::ExecuteSingleKey(const CommandRow& row, std::span<std::string_view> args) {
  const int target = shards::KeyShard(args[row.first_key], worker_->num_workers());
  const int64_t max_bulk = worker_->config().proto_max_bulk_len;
  if (target == worker_->index()) {
    if (!worker_->KeyReady(conn_->db(), args[row.first_key], Overwrites(row, args))) {
      // The key is being fetched from the upstream: the command waits for it with its own
      // copy of the arguments, and its reply in its slot.
      auto owned = std::make_shared<OwnedArgs>();
      for (size_t i = 0; i < args.size(); ++i) conn_->AddArg(args, i, owned.get());
      const uint64_t seq = conn_->ReserveSlot();
      RunParts(
          *worker_, row, conn_->db(), conn_->protocol(), caller(), std::move(owned),
          {KeyPart::Whole(args.size(), row.first_key)},
          [self = conn_, seq](Worker& w, std::vector<resp::Output>& replies) {
            w.AfterDurable(MakeTask([self, seq, reply = std::move(replies[0])](Worker&) mutable {
              self->Complete(seq, std::move(reply));
            }));
          });
      return;
    }
    const bool may_wait = worker_->RepliesWaitForDisk();
    resp::Output held;
    resp::Writer out(may_wait ? &held : conn_->SyncReplyTarget(), conn_->protocol());
    CommandContext ctx{args, conn_->db(), &worker_->store(), &out, max_bulk, worker_, conn_};
    ctx.proto = conn_->protocol();
    ctx.promoted = conn_->promoted();
    const uint64_t mark = worker_->RecordMark();
    worker_->RunHandler(row, row.handler, ctx, caller());
    if (may_wait) conn_->ReplyWhenDurable(std::move(held), mark);
    return;
  }
  // Consecutive commands for the same shard travel together: one task, one mailbox slot and
  // one reply message for the lot.
  RemoteBatch& batch = batches_[static_cast<size_t>(target)];
  if (batch.items.empty()) batched_targets_.push_back(target);
  const uint32_t first_arg = static_cast<uint32_t>(batch.args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    if (conn_->AddArg(args, i, &batch.args)) ++worker_->stats().bulk.cross_shard_handoffs;
  }
  batch.items.push_back(BatchItem{&row, conn_->ReserveSlot(), first_arg,
                                  static_cast<uint32_t>(args.size()), conn_->db(),
                                  conn_->protocol(), track_});
  if (batch.items.size() >= kMaxBatch) SubmitBatch(target);
}

void Dispatcher::SubmitBatches() {
  for (int target : batched_targets_) SubmitBatch(target);
  batched_targets_.clear();
}

void Dispatcher::SubmitBatch(int target) {
  RemoteBatch& slot = batches_[static_cast<size_t>(target)];
  if (slot.items.empty()) return;
  RemoteBatch batch = std::move(slot);
  slot = RemoteBatch{};
  const int home = worker_->index();
  const int64_t max_bulk = worker_->config().proto_max_bulk_len;
  worker_->stats().cross_shard_sent++;
  // The task owns the batch. `self` is only dereferenced back on `home`, where every reserved
  // slot keeps the connection alive until its Complete().
  worker_->Submit(
      target, MakeTask([batch = std::move(batch), max_bulk, home, self = conn_,
                        client = conn_->id()](Worker& w) mutable {
        w.stats().cross_shard_received++;
        w.ReclaimMemory();
        // Shared, so that commands waiting for a key fetched from the upstream keep them.
        auto args = std::make_shared<OwnedArgs>(std::move(batch.args));
        const std::vector<std::string_view> views = args->Views();
        std::vector<resp::Output> replies(batch.items.size());
        // The records each command made, for a sync upstream's refusals.
        std::vector<std::pair<uint64_t, uint64_t>> records(batch.items.size());
        std::vector<size_t> waiting;
        for (size_t i = 0; i < batch.items.size(); ++i) {
          const BatchItem& item = batch.items[i];
          const std::span<const std::string_view> argv(views.data() + item.first_arg, item.argc);
          if (!w.KeyReady(item.db, argv[item.row->first_key], Overwrites(*item.row, argv))) {
            waiting.push_back(i);
            continue;
          }
          resp::Writer out(&replies[i], item.proto);
          CommandContext ctx{argv, item.db, &w.store(), &out, max_bulk};
          ctx.proto = item.proto;
          ctx.promoted = args->shared();
          ctx.promoted_base = item.first_arg;
          records[i].first = w.RecordMark();
          w.RunHandler(*item.row, item.row->handler, ctx, Caller{client, home, item.track});
          records[i].second = w.RecordMark();
        }
        // Owned by this worker until every command of the batch has run.
        struct Batch {
          std::vector<BatchItem> items;
          std::vector<resp::Output> replies;
          std::vector<std::pair<uint64_t, uint64_t>> records;
          size_t remaining;
        };
        auto done = std::make_shared<Batch>(Batch{std::move(batch.items), std::move(replies),
                                                  std::move(records), waiting.size() + 1});
        auto finish = [done, home, self](Worker& at) {
          if (--done->remaining > 0) return;
          at.AfterDurable(MakeTask([home, self, done](Worker& on) {
            std::string refused;
            for (size_t i = 0; i < done->items.size(); ++i) {
              const auto [from, to] = done->records[i];
              if (on.SyncRefused(from, to, &refused)) {
                done->replies[i] = resp::Output{"-" + refused + "\r\n", {}};
              }
            }
            // Hands `done` over (this shard no longer touches it); `self` is dereferenced only on
            // `home`, where each item's reserved slot keeps the connection alive until Complete().
            on.Submit(home, MakeTask([self, done](Worker&) {
                        for (size_t i = 0; i < done->items.size(); ++i) {
                          self->Complete(done->items[i].seq, std::move(done->replies[i]));
                        }
                      }));
          }));
        };
        for (size_t i : waiting) {
          const BatchItem& item = done->items[i];
          const KeyPart part{item.first_arg, item.argc,
                             item.first_arg + static_cast<uint32_t>(item.row->first_key), false};
          RunParts(w, *item.row, item.db, item.proto, Caller{client, home, item.track}, args,
                   {part}, [done, finish, i](Worker& at, std::vector<resp::Output>& r) {
                     done->replies[i] = std::move(r[0]);
                     finish(at);
                   });
        }
        finish(w);
      }));
}

void Dispatcher::ExecuteMultiKey(const CommandRow& row, std::span<std::string_view> args) {
  const std::vector<size_t> keys = KeyPositions(row, args.size());
  const int n = worker_->num_workers();
  const int home = worker_->index();
  const size_t step = static_cast<size_t>(row.key_step);
  const int64_t max_bulk = worker_->config().proto_max_bulk_len;

  std::vector<int> owner(keys.size());
  bool all_local = true;
  for (size_t g = 0; g < keys.size(); ++g) {
    owner[g] = shards::KeyShard(args[keys[g]], n);
    all_local &= owner[g] == home;
  }

  auto run_group = [&](const std::string_view* group, resp::Output* reply) {
    const auto base = static_cast<uint32_t>(group - args.data()) - 1;
    RunKeyGroup(row, args[0], group, step, *worker_, conn_->db(), conn_->protocol(), caller(),
                max_bulk, conn_->promoted(), base, reply);
  };

  // The key groups of one shard, when some key must be fetched from the upstream first:
  // they run with their own copy of the arguments, and `done` gets their replies.
  auto run_groups_later = [&](const std::vector<size_t>& groups, PartsDone done) {
    auto owned = std::make_shared<OwnedArgs>();
    conn_->AddArg(args, 0, owned.get());
    std::vector<KeyPart> parts;
    for (size_t g : groups) {
      parts.push_back(KeyPart::Group(owned->size(), step));
      for (size_t i = 0; i < step; ++i) conn_->AddArg(args, keys[g] + i, owned.get());
    }
    RunParts(*worker_, row, conn_->db(), conn_->protocol(), caller(), std::move(owned),
             std::move(parts), std::move(done));
  };
  auto groups_ready = [&](const std::vector<size_t>& groups) {
    std::vector<KeyPart> parts;
    for (size_t g : groups) parts.push_back(KeyPart::Group(keys[g], step));
    return PartsReady(*worker_, row, conn_->db(), args, parts);
  };

  std::vector<resp::Output> parts(keys.size());
  if (all_local) {
    std::vector<size_t> all(keys.size());
    for (size_t g = 0; g < keys.size(); ++g) all[g] = g;
    if (!groups_ready(all)) {
      const uint64_t seq = conn_->ReserveSlot();
      run_groups_later(all, [self = conn_, seq, merge = row.merge](
                                Worker& w, std::vector<resp::Output>& replies) {
        w.AfterDurable(MakeTask([self, seq, reply = MergeParts(merge, replies)](Worker&) mutable {
          self->Complete(seq, std::move(reply));
        }));
      });
      return;
    }
    const uint64_t mark = worker_->RecordMark();
    for (size_t g = 0; g < keys.size(); ++g) {
      run_group(&args[keys[g]], &parts[g]);
    }
    if (worker_->RepliesWaitForDisk()) {
      conn_->ReplyWhenDurable(MergeParts(row.merge, parts), mark);
    } else {
      conn_->SyncReplyTarget()->Append(MergeParts(row.merge, parts));
    }
    return;
  }

  // Lives on this worker until every shard has answered; only touched here.
  struct Gather {
    std::vector<resp::Output> parts;
    int remaining = 0;
    Merge merge;
    Connection* conn;
    uint64_t seq;
    void Done() {
      if (--remaining > 0) return;
      conn->Complete(seq, MergeParts(merge, parts));
      delete this;
    }
  };
  auto* gather = new Gather{std::move(parts), 0, row.merge, conn_, conn_->ReserveSlot()};

  std::vector<std::vector<size_t>> by_shard(static_cast<size_t>(n));
  for (size_t g = 0; g < keys.size(); ++g) by_shard[static_cast<size_t>(owner[g])].push_back(g);
  for (int s = 0; s < n; ++s) {
    if (s != home && !by_shard[static_cast<size_t>(s)].empty()) ++gather->remaining;
  }
  const std::vector<size_t>& home_groups = by_shard[static_cast<size_t>(home)];
  // The parts run here count as one more answer, given once they are durable.
  if (!home_groups.empty()) {
    ++gather->remaining;
    if (groups_ready(home_groups)) {
      const uint64_t from = worker_->RecordMark();
      for (size_t g : home_groups) run_group(&args[keys[g]], &gather->parts[g]);
      const uint64_t to = worker_->RecordMark();
      worker_->AfterDurable(MakeTask([gather, from, to, first = home_groups[0]](Worker& w) {
        std::string refused;
        if (w.SyncRefused(from, to, &refused)) {
          gather->parts[first] = resp::Output{"-" + refused + "\r\n", {}};
        }
        gather->Done();
      }));
    } else {
      run_groups_later(home_groups, [gather, groups = home_groups](
                                        Worker& w, std::vector<resp::Output>& replies) {
        for (size_t j = 0; j < groups.size(); ++j) gather->parts[groups[j]] = std::move(replies[j]);
        w.AfterDurable(MakeTask([gather](Worker&) { gather->Done(); }));
      });
    }
  }
  for (int s = 0; s < n; ++s) {
    const auto& groups = by_shard[static_cast<size_t>(s)];
    if (s == home || groups.empty()) continue;
    OwnedArgs owned;
    owned.Add(args[0]);
    for (size_t g : groups) {
      for (size_t i = 0; i < step; ++i) {
        if (conn_->AddArg(args, keys[g] + i, &owned)) ++worker_->stats().bulk.cross_shard_handoffs;
      }
    }
    worker_->stats().cross_shard_sent++;
    // The task owns its copy of the arguments and the group indexes; `gather` is only
    // dereferenced back on `home`, where it lives until Done(); `row` is a static table row.
    worker_->Submit(
        s, MakeTask([owned = std::move(owned), groups, row = &row, db = conn_->db(),
                     proto = conn_->protocol(), who = caller(), max_bulk, step, home,
                     gather](Worker& w) mutable {
          w.stats().cross_shard_received++;
          w.ReclaimMemory();
          // Sends the replies home once what they recorded, the records after
          // id `from` up to `to`, is durable.
          auto reply = [home, gather, groups](Worker& at, std::vector<resp::Output>& replies,
                                              uint64_t from, uint64_t to) {
            at.AfterDurable(MakeTask(
                [home, gather, groups, from, to, replies = std::move(replies)](Worker& on) mutable {
                  std::string refused;
                  if (on.SyncRefused(from, to, &refused)) {
                    replies[0] = resp::Output{"-" + refused + "\r\n", {}};
                  }
                  // Owns `groups` and the replies; `gather` is dereferenced only on `home`.
                  on.Submit(home, MakeTask([gather, groups = std::move(groups),
                                            replies = std::move(replies)](Worker&) mutable {
                              for (size_t j = 0; j < groups.size(); ++j) {
                                gather->parts[groups[j]] = std::move(replies[j]);
                              }
                              gather->Done();
                            }));
                }));
          };
          const std::vector<std::string_view> views = owned.Views();
          std::vector<KeyPart> parts;
          for (size_t j = 0; j < groups.size(); ++j) {
            parts.push_back(KeyPart::Group(1 + j * step, step));
          }
          if (!PartsReady(w, *row, db, views, parts)) {
            // RunParts checks the records of each part itself.
            RunParts(w, *row, db, proto, who, std::make_shared<OwnedArgs>(std::move(owned)),
                     std::move(parts), [reply](Worker& at, std::vector<resp::Output>& replies) {
                       reply(at, replies, 0, 0);
                     });
            return;
          }
          std::vector<resp::Output> replies(groups.size());
          const uint64_t from = w.RecordMark();
          for (size_t j = 0; j < groups.size(); ++j) {
            RunKeyGroup(*row, views[0], &views[1 + j * step], step, w, db, proto, who, max_bulk,
                        owned.shared(), static_cast<uint32_t>(j * step), &replies[j]);
          }
          reply(w, replies, from, w.RecordMark());
        }));
  }
}

}  // namespace ringside::proxy
