// Set commands: arguments → shards/set_ops.h and SetValue → one reply, and the record of what
// changed, as Redis propagates it (SPOP as the SREM of what it popped). The commands over
// several keys (SINTER, SUNION, SDIFF, their *STORE forms, SINTERCARD, SMOVE) run where the
// keys are: on the one shard that owns them all when it does (hash tags see to that), else
// by gathering copies of the sets from their owners, in increasing shard order, and
// computing on the last owner or the destination's.
#include <optional>
#include <string>
#include <vector>

#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "proxy/commands/gather.h"
#include "proxy/connection.h"
#include "proxy/worker.h"
#include "shards/set_ops.h"
#include "shards/slot.h"
#include "shards/store.h"

namespace ringside::proxy {

namespace {

using shards::ObjType;
using shards::OpStatus;
using shards::SetAlgebra;
using shards::SetValue;

// SPOP's records name at most this many members each, as Redis's do.
constexpr size_t kPopRecordBatch = 1024;

std::string_view Key(const CommandContext& ctx) { return ctx.args[1]; }

bool Failed(resp::Writer& out, OpStatus s) {
  if (s == OpStatus::kOk) return false;
  out.Error(kErrWrongType);
  return true;
}

// The set a read command looks at: null when the key is absent, or when it holds another
// type (the WRONGTYPE reply is then written and *failed set).
const SetValue* ReadSet(CommandContext& ctx, bool* failed) {
  auto r = shards::OpFind(*ctx.store, ctx.db, Key(ctx), ObjType::kSet, /*read=*/true);
  *failed = Failed(*ctx.out, r.status);
  return r.ok() && r.value != nullptr ? &r.value->set() : nullptr;
}

void ReplyMembers(resp::Writer& out, const SetValue* set) {
  out.SetHeader(set == nullptr ? 0 : static_cast<int64_t>(set->size()));
  if (set != nullptr) set->ForEach([&](std::string_view m) { out.Bulk(m); });
}

void SAdd(CommandContext& ctx) {
  auto r = shards::OpSAdd(*ctx.store, ctx.db, Key(ctx), ctx.args.subspan(2));
  if (Failed(*ctx.out, r.status)) return;
  ctx.out->Integer(r.value);
  if (r.value > 0) ctx.PropagateAsSent();
}

void SRem(CommandContext& ctx) {
  auto r = shards::OpSRem(*ctx.store, ctx.db, Key(ctx), ctx.args.subspan(2));
  if (Failed(*ctx.out, r.status)) return;
  ctx.out->Integer(r.value);
  if (r.value > 0) ctx.PropagateAsSent();
}

void SCard(CommandContext& ctx) {
  bool failed = false;
  const SetValue* set = ReadSet(ctx, &failed);
  if (failed) return;
  ctx.out->Integer(set == nullptr ? 0 : static_cast<int64_t>(set->size()));
}

void SIsMember(CommandContext& ctx) {
  bool failed = false;
  const SetValue* set = ReadSet(ctx, &failed);
  if (failed) return;
  ctx.out->Integer(set != nullptr && set->Contains(ctx.args[2]) ? 1 : 0);
}

void SMIsMember(CommandContext& ctx) {
  bool failed = false;
  const SetValue* set = ReadSet(ctx, &failed);
  if (failed) return;
  ctx.out->ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.out->Integer(set != nullptr && set->Contains(ctx.args[i]) ? 1 : 0);
  }
}

void SMembers(CommandContext& ctx) {
  bool failed = false;
  const SetValue* set = ReadSet(ctx, &failed);
  if (failed) return;
  ReplyMembers(*ctx.out, set);
}

// Records the members SPOP took: DEL when it took the whole set, else SREM of them.
void PropagatePopped(CommandContext& ctx, const std::vector<std::string>& popped, bool all) {
  if (popped.empty()) return;
  if (all) return ctx.Propagate({"DEL", Key(ctx)});
  for (size_t i = 0; i < popped.size(); i += kPopRecordBatch) {
    std::vector<std::string_view> argv = {"SREM", Key(ctx)};
    for (size_t j = i; j < popped.size() && j < i + kPopRecordBatch; ++j) argv.push_back(popped[j]);
    ctx.Propagate(std::span<const std::string_view>(argv));
  }
}

void SPop(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.out->Error(kErrSyntax);
  if (ctx.args.size() == 2) {
    auto r = shards::OpSPop(*ctx.store, ctx.db, Key(ctx), 1);
    if (Failed(*ctx.out, r.status)) return;
    if (r.value.empty()) return ctx.out->NullBulk();
    ctx.out->Bulk(r.value[0]);
    ctx.Propagate({"SREM", Key(ctx), r.value[0]});
    return;
  }
  int64_t count = 0;
  if (!ParseInt64(ctx.args[2], &count) || count < 0) {
    return ctx.out->Error("ERR value is out of range, must be positive");
  }
  auto r = shards::OpSPop(*ctx.store, ctx.db, Key(ctx), static_cast<size_t>(count));
  if (Failed(*ctx.out, r.status)) return;
  ctx.out->SetHeader(static_cast<int64_t>(r.value.size()));
  for (const std::string& m : r.value) ctx.out->Bulk(m);
  PropagatePopped(ctx, r.value, !ctx.store->Exists(ctx.db, Key(ctx)));
}

void SRandMember(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.out->Error(kErrSyntax);
  int64_t count = 0;
  const bool with_count = ctx.args.size() == 3;
  if (with_count) {
    if (!ParseInt64(ctx.args[2], &count)) return ctx.out->Error(kErrNotInteger);
    if (count < -INT64_MAX) return ctx.out->Error(kErrCountRange);
    // Redis has no bound on repeated picks, and dies of a huge one.
    if (count < -kMaxRandomPicks) return ctx.out->Error("ERR value is out of range");
  }
  bool failed = false;
  const SetValue* set = ReadSet(ctx, &failed);
  if (failed) return;
  if (!with_count) {
    if (set == nullptr) return ctx.out->NullBulk();
    std::string buf;
    ctx.out->Bulk(set->At(ctx.store->Random() % set->size(), &buf));
    return;
  }
  if (set == nullptr || count == 0) return ctx.out->ArrayHeader(0);
  const std::vector<std::string> picks = shards::RandomMembers(*ctx.store, *set, count);
  ctx.out->ArrayHeader(static_cast<int64_t>(picks.size()));
  for (const std::string& m : picks) ctx.out->Bulk(m);
}

void SScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.args[2], &cursor)) return ctx.out->Error("ERR invalid cursor");
  bool failed = false;
  const SetValue* set = ReadSet(ctx, &failed);
  if (failed) return;
  std::string_view pattern = "*";
  if (set != nullptr) {
    if (std::string_view error = ParseCollectionScanArgs(ctx.args, 3, &pattern); !error.empty()) {
      return ctx.out->Error(error);
    }
  }
  // The whole set in one reply, as Redis answers for a small one: every member present for
  // the whole scan is returned, whatever changes meanwhile.
  std::vector<std::string> found;
  if (set != nullptr) {
    const bool all = pattern == "*";
    set->ForEach([&](std::string_view m) {
      if (all || shards::GlobMatch(pattern, m)) found.emplace_back(m);
    });
  }
  ctx.out->ArrayHeader(2);
  ctx.out->Bulk("0");
  ctx.out->ArrayHeader(static_cast<int64_t>(found.size()));
  for (const std::string& m : found) ctx.out->Bulk(m);
}

// ---- Commands over several keys ----

struct SetJob {
  enum class Kind : uint8_t { kReply, kStore, kCard };
  Kind kind = Kind::kReply;
  SetAlgebra op = SetAlgebra::kUnion;
  int db = 0;
  size_t limit = 0;               // kCard: SINTERCARD's LIMIT, 0 for none
  std::vector<std::string> keys;  // the sources, in argument order
  std::string dst;                // kStore
  ReplyTo to;
};
using SetJobPtr = std::shared_ptr<SetJob>;

// Computes the job's result from `inputs` (one per source, null when absent) on `at`, which
// owns the destination of a *STORE; stores and records it there. Returns the reply: WRONGTYPE
// when a source held another type.
std::string Compute(Worker& at, const SetJob& job, std::span<const SetValue* const> inputs,
                    bool wrong_type) {
  std::string reply;
  resp::Writer out(&reply, job.to.proto);
  if (wrong_type) {
    out.Error(kErrWrongType);
    return reply;
  }
  shards::Store& store = at.store();
  switch (job.kind) {
    case SetJob::Kind::kCard:
      out.Integer(static_cast<int64_t>(shards::InterCard(inputs, job.limit)));
      break;
    case SetJob::Kind::kReply: {
      const SetValue result = shards::ComputeSet(job.op, inputs, store.limits().set);
      ReplyMembers(out, &result);
      break;
    }
    case SetJob::Kind::kStore: {
      // The inputs point into the store: they are done with before it changes.
      SetValue result = shards::ComputeSet(job.op, inputs, store.limits().set);
      const bool existed = store.Exists(job.db, job.dst);
      out.Integer(shards::OpStoreSet(store, job.db, job.dst, std::move(result)));
      if (const shards::Entry* e = store.Find(job.db, job.dst)) {
        RecordEntry(at.propagation(), job.db, job.dst, *e, /*replace=*/true);
      } else if (existed && at.propagation() != nullptr) {
        const std::string_view del[] = {"DEL", job.dst};
        at.propagation()->Record(job.db, del);
      }
      break;
    }
  }
  return reply;
}

// Runs the whole job on `at`, which owns every key it names.
void RunOnOwner(Worker& at, const SetJob& job) {
  const uint64_t from = at.RecordMark();
  std::vector<const SetValue*> inputs;
  bool wrong_type = false;
  for (const std::string& k : job.keys) {
    auto r = shards::OpFind(at.store(), job.db, k, ObjType::kSet, /*read=*/true);
    if (!r.ok()) wrong_type = true;
    inputs.push_back(r.ok() && r.value != nullptr ? &r.value->set() : nullptr);
  }
  std::string reply = Compute(at, job, inputs, wrong_type);
  CompleteAfterDurable(at, job.to, std::move(reply), from);
}

// A source as gathered from its owner: a copy of its set, or what made it not one.
struct GatheredSet {
  bool wrong_type = false;
  std::optional<SetValue> set;  // empty for an absent key
};

// Copies the sources from their owners, then computes where the result goes.
void RunGathered(Worker& w, SetJobPtr job) {
  GatherKeys<GatheredSet>(
      w, job->db, job->keys,
      [](shards::Store& store, int db, std::string_view key) {
        GatheredSet g;
        auto r = shards::OpFind(store, db, key, ObjType::kSet, /*read=*/true);
        g.wrong_type = !r.ok();
        if (r.ok() && r.value != nullptr) g.set = shards::CopySet(r.value->set());
        return g;
      },
      [job](Worker& at, std::vector<GatheredSet>& gathered) {
        // The copies go on with the task to a destination's owner, touched by one worker at
        // a time.
        auto copies = std::make_shared<std::vector<GatheredSet>>(std::move(gathered));
        auto compute = [job, copies](Worker& d) {
          const uint64_t from = d.RecordMark();
          std::vector<const SetValue*> inputs;
          bool wrong_type = false;
          for (const GatheredSet& g : *copies) {
            wrong_type = wrong_type || g.wrong_type;
            inputs.push_back(g.set ? &*g.set : nullptr);
          }
          std::string reply = Compute(d, *job, inputs, wrong_type);
          CompleteAfterDurable(d, job->to, std::move(reply), from);
        };
        if (job->kind == SetJob::Kind::kStore) return OnOwner(at, job->dst, compute);
        compute(at);
      });
}

void StartSetJob(CommandContext& ctx, SetJobPtr job) {
  Worker& w = *ctx.worker;
  const int n = w.num_workers();
  const int first = shards::KeyShard(job->keys[0], n);
  bool one_shard = job->kind != SetJob::Kind::kStore || shards::KeyShard(job->dst, n) == first;
  for (const std::string& k : job->keys) one_shard = one_shard && shards::KeyShard(k, n) == first;
  if (one_shard && first == w.index()) return RunOnOwner(w, *job);
  // Later commands of the connection wait, so that none overtakes the job on a shard.
  ctx.conn->BlockUntil(ctx.seq);
  if (one_shard) {
    // The job travels with the task.
    w.Submit(first, MakeTask([job](Worker& at) { RunOnOwner(at, *job); }));
    return;
  }
  RunGathered(w, std::move(job));
}

SetJobPtr NewJob(CommandContext& ctx, SetJob::Kind kind, SetAlgebra op, size_t first, size_t end) {
  auto job = std::make_shared<SetJob>();
  job->kind = kind;
  job->op = op;
  job->db = ctx.db;
  job->to = ReplyToOf(ctx);
  for (size_t i = first; i < end; ++i) job->keys.emplace_back(ctx.args[i]);
  return job;
}

void Algebra(CommandContext& ctx, SetAlgebra op) {
  StartSetJob(ctx, NewJob(ctx, SetJob::Kind::kReply, op, 1, ctx.args.size()));
}

void AlgebraStore(CommandContext& ctx, SetAlgebra op) {
  SetJobPtr job = NewJob(ctx, SetJob::Kind::kStore, op, 2, ctx.args.size());
  job->dst = std::string(ctx.args[1]);
  StartSetJob(ctx, std::move(job));
}

void SInter(CommandContext& ctx) { Algebra(ctx, SetAlgebra::kInter); }
void SUnion(CommandContext& ctx) { Algebra(ctx, SetAlgebra::kUnion); }
void SDiff(CommandContext& ctx) { Algebra(ctx, SetAlgebra::kDiff); }
void SInterStore(CommandContext& ctx) { AlgebraStore(ctx, SetAlgebra::kInter); }
void SUnionStore(CommandContext& ctx) { AlgebraStore(ctx, SetAlgebra::kUnion); }
void SDiffStore(CommandContext& ctx) { AlgebraStore(ctx, SetAlgebra::kDiff); }

void SInterCard(CommandContext& ctx) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.args[1], &numkeys) || numkeys <= 0) {
    return CompleteWithError(ctx, "ERR numkeys should be greater than 0");
  }
  if (static_cast<uint64_t>(numkeys) > ctx.args.size() - 2) {
    return CompleteWithError(ctx, "ERR Number of keys can't be greater than number of args");
  }
  const size_t end = 2 + static_cast<size_t>(numkeys);
  int64_t limit = 0;
  for (size_t i = end; i < ctx.args.size(); ++i) {
    if (EqualsNoCase(ctx.args[i], "limit") && i + 1 < ctx.args.size()) {
      if (!ParseInt64(ctx.args[++i], &limit) || limit < 0) {
        return CompleteWithError(ctx, "ERR LIMIT can't be negative");
      }
    } else {
      return CompleteWithError(ctx, kErrSyntax);
    }
  }
  SetJobPtr job = NewJob(ctx, SetJob::Kind::kCard, SetAlgebra::kInter, 2, end);
  job->limit = static_cast<size_t>(limit);
  StartSetJob(ctx, std::move(job));
}

// SMOVE between two owners. The chain: the source's owner checks it (absent: 0; another
// type: WRONGTYPE); the destination's owner checks its type; the source's owner removes the
// member (absent by now: 0); the destination's owner adds it. Should the destination have
// become another type in between, the member goes back to the source and the reply is
// WRONGTYPE, so nothing is lost.
struct MoveJob {
  int db = 0;
  std::string src, dst, member;
  int src_shard = 0, dst_shard = 0;
  ReplyTo to;
};
using MoveJobPtr = std::shared_ptr<MoveJob>;

std::string WrongTypeReply() { return ErrorReply(kErrWrongType); }

void RecordOne(Worker& at, int db, std::string_view cmd, std::string_view key,
               std::string_view member) {
  if (backend::PropagationSink* sink = at.propagation()) {
    const std::string_view argv[] = {cmd, key, member};
    sink->Record(db, argv);
  }
}

void MoveAdd(Worker& at, MoveJobPtr job) {
  // Copies of the job travel with the tasks; `to.conn` is only dereferenced at home.
  at.Submit(job->dst_shard, MakeTask([job](Worker& d) {
              const uint64_t from = d.RecordMark();
              const std::string_view one[] = {job->member};
              auto r = shards::OpSAdd(d.store(), job->db, job->dst, one);
              if (r.ok()) {
                if (r.value > 0) RecordOne(d, job->db, "SADD", job->dst, job->member);
                return CompleteAfterDurable(d, job->to, IntReply(1), from);
              }
              d.Submit(job->src_shard, MakeTask([job](Worker& s) {
                         const uint64_t back = s.RecordMark();
                         const std::string_view m[] = {job->member};
                         auto put = shards::OpSAdd(s.store(), job->db, job->src, m);
                         if (put.ok() && put.value > 0) {
                           RecordOne(s, job->db, "SADD", job->src, job->member);
                         }
                         CompleteAfterDurable(s, job->to, WrongTypeReply(), back);
                       }));
            }));
}

void MoveRemove(Worker& at, MoveJobPtr job) {
  at.Submit(job->src_shard, MakeTask([job](Worker& s) {
              const uint64_t from = s.RecordMark();
              const std::string_view one[] = {job->member};
              auto r = shards::OpSRem(s.store(), job->db, job->src, one);
              if (!r.ok()) return CompleteAfterDurable(s, job->to, WrongTypeReply(), from);
              if (r.value == 0) return CompleteAfterDurable(s, job->to, IntReply(0), from);
              RecordOne(s, job->db, "SREM", job->src, job->member);
              // The removal is durable before the member shows up in the destination.
              const uint64_t until = s.RecordMark();
              s.AfterDurable(MakeTask([job, from, until](Worker& w) {
                std::string refused;
                if (w.SyncRefused(from, until, &refused)) {
                  std::string reply;
                  resp::Writer(&reply).Error(refused);
                  return CompleteAfterDurable(w, job->to, std::move(reply), w.RecordMark());
                }
                MoveAdd(w, job);
              }));
            }));
}

void SMove(CommandContext& ctx) {
  Worker& w = *ctx.worker;
  auto job = std::make_shared<MoveJob>();
  job->db = ctx.db;
  job->src = std::string(ctx.args[1]);
  job->dst = std::string(ctx.args[2]);
  job->member = std::string(ctx.args[3]);
  job->src_shard = shards::KeyShard(job->src, w.num_workers());
  job->dst_shard = shards::KeyShard(job->dst, w.num_workers());
  job->to = ReplyToOf(ctx);
  auto on_one = [job](Worker& at) {
    const uint64_t from = at.RecordMark();
    auto r = shards::OpSMove(at.store(), job->db, job->src, job->dst, job->member);
    if (!r.ok()) return CompleteAfterDurable(at, job->to, WrongTypeReply(), from);
    if (r.value && job->src != job->dst) {
      RecordOne(at, job->db, "SREM", job->src, job->member);
      RecordOne(at, job->db, "SADD", job->dst, job->member);
    }
    CompleteAfterDurable(at, job->to, IntReply(r.value ? 1 : 0), from);
  };
  if (job->src_shard == job->dst_shard) {
    if (job->src_shard == w.index()) return on_one(w);
    ctx.conn->BlockUntil(ctx.seq);
    w.Submit(job->src_shard, MakeTask([on_one](Worker& at) { on_one(at); }));
    return;
  }
  ctx.conn->BlockUntil(ctx.seq);
  w.Submit(job->src_shard, MakeTask([job](Worker& s) {
             auto src = shards::OpFind(s.store(), job->db, job->src, ObjType::kSet, false);
             if (src.ok() && src.value == nullptr) {
               return CompleteAfterDurable(s, job->to, IntReply(0), s.RecordMark());
             }
             if (!src.ok()) {
               return CompleteAfterDurable(s, job->to, WrongTypeReply(), s.RecordMark());
             }
             s.Submit(job->dst_shard, MakeTask([job](Worker& d) {
                        auto dst =
                            shards::OpFind(d.store(), job->db, job->dst, ObjType::kSet, false);
                        if (!dst.ok()) {
                          return CompleteAfterDurable(d, job->to, WrongTypeReply(), d.RecordMark());
                        }
                        MoveRemove(d, job);
                      }));
           }));
}

}  // namespace

void RegisterSetCommands(CommandTable& table) {
  constexpr uint32_t kR = kReadOnly;
  constexpr uint32_t kW = kWrite;
  // With read-through, the commands on several keys are the upstream's: a key of them may be
  // bigger than upstream-read-through-max-size.
  constexpr uint32_t kRt = kNoReadThrough;
  constexpr uint32_t kF = kFast;
  constexpr uint32_t kOom = kDenyOom;
  constexpr Exec kOne = Exec::kSingleKey;
  constexpr Exec kAny = Exec::kAsync;
  constexpr Merge kNo = Merge::kNone;
  const std::string_view g = "set";
  // name, arity, flags, first, last, step, exec, handler, merge, group, summary, syntax
  table.Add({"sadd", -3, kW | kOom | kF, 1, 1, 1, kOne, SAdd, kNo, g,
             "Add one or more members to a set", "key member [member ...]"});
  table.Add({"srem", -3, kW | kF, 1, 1, 1, kOne, SRem, kNo, g,
             "Remove one or more members from a set", "key member [member ...]"});
  table.Add({"scard", 2, kR | kF, 1, 1, 1, kOne, SCard, kNo, g,
             "Get the number of members in a set", "key"});
  table.Add({"sismember", 3, kR | kF, 1, 1, 1, kOne, SIsMember, kNo, g,
             "Determine if a given value is a member of a set", "key member"});
  table.Add({"smismember", -3, kR | kF, 1, 1, 1, kOne, SMIsMember, kNo, g,
             "Returns the membership associated with the given elements for a set",
             "key member [member ...]"});
  // A set; SPOP without a count answers a member, which stays as it is.
  const auto set_shape = [](std::span<const std::string_view>) { return resp::Resp3Shape::kSet; };
  table.Add(WithResp3Shape(
      {"smembers", 2, kR, 1, 1, 1, kOne, SMembers, kNo, g, "Get all the members in a set", "key"},
      set_shape));
  table.Add(WithResp3Shape(
      {"spop", -2, kW | kF, 1, 1, 1, kOne, SPop, kNo, g,
       "Remove and return one or multiple random members from a set", "key [count:integer]"},
      set_shape));
  table.Add({"srandmember", -2, kR, 1, 1, 1, kOne, SRandMember, kNo, g,
             "Get one or multiple random members from a set", "key [count:integer]"});
  table.Add({"sscan", -3, kR, 1, 1, 1, kOne, SScan, kNo, g, "Incrementally iterate Set elements",
             "key cursor:integer [MATCH pattern] [COUNT count:integer]"});
  table.Add({"sinter", -2, kR | kChain | kAnyKeys | kRt, 1, -1, 1, kAny, SInter, kNo, g,
             "Intersect multiple sets", "key [key ...]"});
  table.Add({"sunion", -2, kR | kChain | kAnyKeys | kRt, 1, -1, 1, kAny, SUnion, kNo, g,
             "Add multiple sets", "key [key ...]"});
  table.Add({"sdiff", -2, kR | kChain | kAnyKeys | kRt, 1, -1, 1, kAny, SDiff, kNo, g,
             "Subtract multiple sets", "key [key ...]"});
  table.Add({"sinterstore", -3, kW | kOom | kChain | kAnyKeys | kRt, 1, -1, 1, kAny, SInterStore,
             kNo, g, "Intersect multiple sets and store the resulting set in a key",
             "destination:key key [key ...]"});
  table.Add({"sunionstore", -3, kW | kOom | kChain | kAnyKeys | kRt, 1, -1, 1, kAny, SUnionStore,
             kNo, g, "Add multiple sets and store the resulting set in a key",
             "destination:key key [key ...]"});
  table.Add({"sdiffstore", -3, kW | kOom | kChain | kAnyKeys | kRt, 1, -1, 1, kAny, SDiffStore, kNo,
             g, "Subtract multiple sets and store the resulting set in a key",
             "destination:key key [key ...]"});
  table.Add({"sintercard", -3, kR | kChain | kAnyKeys | kRt | kMovableKeys, 0, 0, 0, kAny,
             SInterCard, kNo, g, "Intersect multiple sets and return the cardinality of the result",
             "numkeys:integer key [key ...] [LIMIT limit:integer]"});
  table.Add({"smove", 4, kW | kF | kChain | kAnyKeys | kRt, 1, 2, 1, kAny, SMove, kNo, g,
             "Move a member from one set to another", "source:key destination:key member"});
}

}  // namespace ringside::proxy
