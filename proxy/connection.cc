#include "proxy/connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "proxy/commands/args.h"
#include "proxy/owned_args.h"
#include "proxy/server.h"
#include "proxy/worker.h"
#include "shards/slot.h"

namespace ringside::proxy {

namespace {

// Outstanding replies beyond which a connection stops parsing, and the level at which it
// starts again. Bounds the memory one pipelining client can pin in mailboxes and slots.
constexpr size_t kMaxPendingReplies = 1024;
constexpr size_t kResumePendingReplies = 256;
// Held-back input beyond which the connection stops reading its socket.
constexpr size_t kMaxHeldInput = 256 * 1024;
// Commands for one shard carried by one task at most.
constexpr size_t kMaxBatch = 64;
// Reads without a big argument after which a connection that had one goes back from reading
// one buffer at a time to multishot receive.
constexpr uint32_t kSingleReadLinger = 64;
// Bytes appended to a partly received command at a time while BigBulk is on.
constexpr size_t kHeadProbe = 1024;

// Runs a kMultiKey handler on one key group (a key, or a key and its value) of `name`.
// `promoted`, when set, holds the big arguments, positioned so that group[i] is index base + 1 + i.
void RunKeyGroup(Handler handler, std::string_view name, const std::string_view* group, size_t step,
                 Worker& w, int db, int64_t max_bulk, PromotedArgs* promoted, uint32_t base,
                 resp::Output* reply) {
  std::string_view argv[3] = {name, {}, {}};
  for (size_t i = 0; i < step; ++i) argv[1 + i] = group[i];
  resp::Writer out(reply);
  CommandContext ctx{std::span<const std::string_view>(argv, 1 + step), db, &w.store(), &out,
                     max_bulk};
  ctx.promoted = promoted;
  ctx.promoted_base = base;
  ctx.bulk = &w.stats().bulk;
  ctx.propagation = w.propagation();
  handler(ctx);
}

}  // namespace

Connection::Connection(Worker* worker, int fd, uint64_t id, std::string addr, std::string laddr)
    : worker_(worker),
      id_(id),
      addr_(std::move(addr)),
      laddr_(std::move(laddr)),
      created_ms_(worker->store().NowMs()),
      last_interaction_ms_(created_ms_) {
  const auto& cfg = worker->config();
  resp::Limits limits;
  limits.max_bulk_len = cfg.proto_max_bulk_len;
  parser_.set_limits(limits);
  batches_.resize(static_cast<size_t>(worker->num_workers()));
  stream_ = worker->reactor().AddStream(fd, this);
}

Connection::~Connection() = default;

size_t Connection::output_bytes() const {
  size_t n = out_.size();
  for (const auto& s : slots_) n += s.data.size();
  if (stream_open_) n += worker_->reactor().PendingBytes(stream_);
  return n;
}

size_t Connection::query_buffer_bytes() const {
  size_t n = inbuf_.size();
  if (promo_) n += promo_->filled;
  for (const PromotedArg& p : promoted_) n += p.bytes.size;
  return n;
}

void Connection::OnRead(std::string_view data) {
  last_interaction_ms_ = worker_->store().NowMs();
  worker_->stats().net_input_bytes += data.size();
  if (closing_ || close_after_replies_) return;
  BulkStats& st = worker_->stats().bulk;
  if (single_reads_ && !promo_ && ++reads_since_promotion_ > kSingleReadLinger && stream_open_) {
    single_reads_ = false;
    worker_->reactor().PreferSingleReads(stream_, false);
  }
  while (!data.empty() && !closing_ && !close_after_replies_) {
    if (promo_) {
      data.remove_prefix(FeedPromotion(data));
      // The big argument is complete: its command goes on in inbuf_ (and may be complete).
      if (!promo_) ProcessBuffered();
      continue;
    }
    if (inbuf_.empty() && !Held()) {
      st.plain_bytes += data.size();
      size_t consumed = 0;
      Process(data, &consumed);
      if (consumed < data.size() && !closing_) Stash(data.substr(consumed));
      break;
    }
    if (Held() || worker_->config().bigbulk_threshold <= 0 || data.size() <= kHeadProbe) {
      st.plain_bytes += data.size();
      AppendInput(data);
      ProcessBuffered();
      break;
    }
    // A command is partly in inbuf_. Its next big body must not go through inbuf_ (growing
    // it on the way), so the bytes go in a short head at a time, into room made beforehand,
    // until the command completes or a big body begins.
    st.plain_bytes += kHeadProbe;
    if (inbuf_.capacity() < inbuf_.size() + kHeadProbe) {
      ++st.plain_reallocs;
      st.plain_copied_bytes += inbuf_.size();
      inbuf_.reserve(std::max(inbuf_.size() + kHeadProbe, 2 * inbuf_.capacity()));
    }
    AppendInput(data.substr(0, kHeadProbe));
    ProcessBuffered();
    data.remove_prefix(kHeadProbe);
  }
  if (KillIfPastQueryBufferLimit()) return;
  MaybeRequestDirectRead();
  UpdateReading();
  Flush();
}

void Connection::AppendInput(std::string_view data) {
  if (data.empty()) return;
  BulkStats& st = worker_->stats().bulk;
  const size_t capacity = inbuf_.capacity();
  st.plain_copied_bytes += data.size();
  inbuf_.append(data);
  last_append_ = data.size();
  inbuf_grew_ = inbuf_.capacity() != capacity;
  if (inbuf_grew_) {
    st.plain_copied_bytes += inbuf_.size() - data.size();
    ++st.plain_reallocs;
  }
}

void Connection::Stash(std::string_view rest) {
  const size_t keep = MaybePromote(rest, /*in_inbuf=*/false);
  AppendInput(rest.substr(0, keep));
}

void Connection::UpdateReading() {
  const bool pause = Held() && inbuf_.size() >= kMaxHeldInput;
  if (pause != reading_paused_ && stream_open_ && !closing_) {
    reading_paused_ = pause;
    worker_->reactor().PauseReading(stream_, pause);
  }
}

void Connection::ProcessBuffered() {
  // While a big argument arrives, its command cannot go on (it may even be complete but for
  // that argument).
  if (inbuf_.empty() || Held() || promo_) return;
  size_t consumed = 0;
  Process(inbuf_, &consumed);
  // A big body the parser now waits for leaves inbuf_ before the rest moves to the front.
  if (!promo_ && consumed < inbuf_.size() && !closing_) {
    const std::string_view frame = std::string_view(inbuf_).substr(consumed);
    inbuf_.resize(consumed + MaybePromote(frame, /*in_inbuf=*/true));
  }
  if (consumed > 0 && consumed < inbuf_.size()) {
    worker_->stats().bulk.plain_copied_bytes += inbuf_.size() - consumed;
  }
  inbuf_.erase(0, consumed);
}

void Connection::Process(std::string_view data, size_t* consumed) {
  size_t pos = 0;
  while (pos < data.size() && !closing_ && !close_after_replies_ && !Held()) {
    const resp::ParseResult r = parser_.Parse(data.substr(pos), &args_);
    if (r.status == resp::ParseStatus::kNeedMore) break;
    if (r.status == resp::ParseStatus::kError) {
      resp::Writer(SyncReplyTarget()).Error(r.error);
      close_after_replies_ = true;
      pos = data.size();
      break;
    }
    pos += r.consumed;
    if (args_.empty()) continue;
    Execute(args_);
    // Big arguments the command did not keep are freed here.
    promoted_.clear();
    if (slots_.size() >= kMaxPendingReplies) throttled_ = true;
  }
  if (!batched_targets_.empty()) SubmitBatches();
  *consumed = pos;
}

resp::Output* Connection::SyncReplyTarget() {
  if (slots_.empty()) return &out_;
  slots_.push_back(Slot{true, {}});
  return &slots_.back().data;
}

uint64_t Connection::ReserveSlot() {
  slots_.push_back(Slot{});
  ++refs_;
  return first_slot_seq_ + slots_.size() - 1;
}

void Connection::BlockUntil(uint64_t seq) {
  blocked_ = true;
  block_seq_ = seq;
}

void Connection::ReplyWhenDurable(resp::Output reply, uint64_t records_from) {
  if (!worker_->HasUndurable()) {
    SyncReplyTarget()->Append(std::move(reply));
    return;
  }
  const uint64_t seq = ReserveSlot();
  const uint64_t records_to = worker_->RecordMark();
  // The slot keeps this connection alive until the task completes it.
  worker_->AfterDurable(MakeTask([this, seq, records_from, records_to,
                                  reply = std::move(reply)](Worker& w) mutable {
    std::string refused;
    if (w.SyncRefused(records_from, records_to, &refused)) {
      return Complete(seq, "-" + refused + "\r\n");
    }
    Complete(seq, std::move(reply));
  }));
}

void Connection::Complete(uint64_t seq, std::string reply) {
  Complete(seq, resp::Output{std::move(reply), {}});
}

void Connection::Complete(uint64_t seq, resp::Output reply) {
  const size_t idx = seq - first_slot_seq_;
  slots_[idx].ready = true;
  slots_[idx].data = std::move(reply);
  while (!slots_.empty() && slots_.front().ready) {
    out_.Append(std::move(slots_.front().data));
    slots_.pop_front();
    ++first_slot_seq_;
  }
  if (blocked_ && seq == block_seq_) blocked_ = false;
  if (throttled_ && slots_.size() <= kResumePendingReplies) throttled_ = false;
  if (stream_open_) worker_->MarkDirty(this);
  Unref();
}

void Connection::Unref() {
  --refs_;
  if (refs_ == 0 && !stream_open_) worker_->ConnectionClosed(this);
}

void Connection::OnWake() {
  if (!stream_open_) return;
  if (deferred_ && refs_ == 0 && !closing_) RunDeferred();
  if (!closing_ && !close_after_replies_) ProcessBuffered();
  UpdateReading();
  Flush();
}

void Connection::Flush() {
  if (!stream_open_ || closing_) {
    out_.clear();
    return;
  }
  if (!out_.empty()) {
    WorkerStats& st = worker_->stats();
    st.net_output_bytes += out_.size();
    Reactor& r = worker_->reactor();
    size_t pos = 0;
    for (resp::Output::Splice& sp : out_.splices) {
      if (sp.at > pos) r.Write(stream_, out_.text.substr(pos, sp.at - pos));
      pos = sp.at;
      ++st.bulk.replies_by_reference;
      st.bulk.bytes_by_reference += sp.bytes.bytes.size();
      r.WriteExternal(stream_, sp.bytes.bytes, std::move(sp.bytes.owner));
    }
    if (pos == 0) {
      r.Write(stream_, std::move(out_.text));
    } else if (pos < out_.text.size()) {
      r.Write(stream_, out_.text.substr(pos));
    }
    out_.clear();
  }
  if (close_after_replies_ && slots_.empty()) {
    closing_ = true;
    worker_->reactor().Close(stream_, true);
  }
}

void Connection::Kill() {
  if (!stream_open_ || closing_) return;
  closing_ = true;
  worker_->reactor().Close(stream_, false);
}

void Connection::OnClosed() {
  stream_open_ = false;
  closing_ = true;
  if (relay_ != nullptr) {
    worker_->relays()->Return(relay_, /*broken=*/true);
    relay_ = nullptr;
  }
  // No read can be in flight into a promoted buffer any more.
  DropPromotions();
  if (refs_ == 0) worker_->ConnectionClosed(this);
}

void Connection::Execute(std::span<std::string_view> args) {
  worker_->stats().commands++;
  if (relay_quit_) return;  // commands after a QUIT are not run
  if (relay_ != nullptr) return ForwardToRelay(args);
  const CommandRow* row = CommandTable::Get().FindAny(args[0]);
  if (row == nullptr || (row->flags & kUpstreamOnly)) {
    // With read-through the upstream serves what the local store does not.
    if (worker_->ReadThrough()) {
      const bool relay = row != nullptr && (row->flags & kRelay);
      if (!relay && !PassThroughNeedsAllShards(row, args.size())) {
        return ExecutePassThrough(args, /*any_keys=*/false);
      }
      // Relay mode, and a command that waits for every shard's records, start once the
      // connection's earlier commands are done (their records made, their passed-through
      // commands answered).
      if (!batched_targets_.empty()) SubmitBatches();
      if (refs_ > 0) return Defer(relay ? Deferred::kRelay : Deferred::kPassThrough, nullptr, args);
      if (relay) return StartRelay(args);
      return ExecutePassThrough(args, /*any_keys=*/true);
    }
    resp::Writer(SyncReplyTarget()).Error(UnknownCommandError(args));
    return;
  }
  last_cmd_ = row->name;
  if ((row->flags & kContainer) && args.size() >= 2) {
    last_cmd_ += '|';
    for (char c : args[1])
      last_cmd_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!ArityOk(*row, args.size())) {
    resp::Writer(SyncReplyTarget()).Error(ArityError(row->name));
    return;
  }
  if ((row->flags & kKeyspace) && worker_->ReadThrough()) {
    if (!batched_targets_.empty()) SubmitBatches();
    if (refs_ > 0) return Defer(Deferred::kPassThrough, nullptr, args);
    return ExecutePassThrough(args, /*any_keys=*/true);
  }
  // While an append-only file cannot be written, writes are refused rather than kept only in
  // memory; PING too, as Redis does, so health checks notice.
  int aof_errno = 0;
  if ((row->flags & (kWrite | kDenyOnAofError)) &&
      worker_->server().AofWritesFailing(&aof_errno)) {
    resp::Writer(SyncReplyTarget())
        .Error(std::string("MISCONF Errors writing to the AOF file: ") + std::strerror(aof_errno));
    return;
  }
  // Past maxmemory, this shard evicts first; a write that adds data is refused when nothing
  // could go, as Redis refuses it.
  if ((row->flags & kWrite) && worker_->ReclaimMemory() == Worker::MemoryState::kFull &&
      (row->flags & kDenyOom)) {
    resp::Writer(SyncReplyTarget()).Error("OOM command not allowed when used memory > 'maxmemory'.");
    return;
  }
  // Work for other shards that is still batched goes out before any command that might touch
  // those shards another way, so per-shard order stays request order.
  if (row->exec != Exec::kSingleKey && !batched_targets_.empty()) SubmitBatches();
  if ((row->flags & kChain) && refs_ > 0) return Defer(Deferred::kRow, row, args);
  Run(*row, args, &promoted_);
}

void Connection::Defer(Deferred::Kind kind, const CommandRow* row,
                       std::span<std::string_view> args) {
  // Earlier commands are still out on other shards: keep this one (its arguments copied, big
  // ones by reference) until they are done; OnWake runs it.
  Deferred d;
  d.kind = kind;
  d.row = row;
  for (size_t i = 0; i < args.size(); ++i) AddArg(args, i, &d.args);
  deferred_ = std::move(d);
}

void Connection::RunDeferred() {
  Deferred d = std::move(*deferred_);
  deferred_.reset();
  std::vector<std::string_view> views = d.args.Views();
  switch (d.kind) {
    case Deferred::kRelay:
      return StartRelay(views);
    case Deferred::kPassThrough:
      return ExecutePassThrough(views, /*any_keys=*/true);
    case Deferred::kRow:
      return Run(*d.row, views, d.args.shared());
  }
}

void Connection::Run(const CommandRow& row, std::span<std::string_view> args,
                     PromotedArgs* promoted) {
  switch (row.exec) {
    case Exec::kSingleKey:
      ExecuteSingleKey(row, args);
      return;
    case Exec::kMultiKey:
      ExecuteMultiKey(row, args);
      return;
    case Exec::kLocal: {
      resp::Writer out(SyncReplyTarget());
      CommandContext ctx{
          args, db_, &worker_->store(), &out, worker_->config().proto_max_bulk_len, worker_, this};
      ctx.promoted = promoted;
      ctx.bulk = &worker_->stats().bulk;
      ctx.propagation = worker_->propagation();
      row.handler(ctx);
      return;
    }
    case Exec::kAsync: {
      CommandContext ctx{
          args,    db_, &worker_->store(), nullptr, worker_->config().proto_max_bulk_len,
          worker_, this};
      ctx.promoted = promoted;
      ctx.bulk = &worker_->stats().bulk;
      ctx.propagation = worker_->propagation();
      ctx.seq = ReserveSlot();
      row.handler(ctx);
      return;
    }
  }
}

void Connection::ExecuteSingleKey(const CommandRow& row, std::span<std::string_view> args) {
  const int target = shards::KeyShard(args[row.first_key], worker_->num_workers());
  const int64_t max_bulk = worker_->config().proto_max_bulk_len;
  if (target == worker_->index()) {
    if (!worker_->KeyReady(db_, args[row.first_key], Overwrites(row, args))) {
      // The key is being fetched from the upstream: the command waits for it with its own
      // copy of the arguments, and its reply in its slot.
      auto owned = std::make_shared<OwnedArgs>();
      for (size_t i = 0; i < args.size(); ++i) AddArg(args, i, owned.get());
      const uint64_t seq = ReserveSlot();
      worker_->RunParts(row, db_, std::move(owned), {KeyPart::Whole(args.size(), row.first_key)},
                        [self = this, seq](Worker& w, std::vector<resp::Output>& replies) {
                          w.AfterDurable(MakeTask(
                              [self, seq, reply = std::move(replies[0])](Worker&) mutable {
                                self->Complete(seq, std::move(reply));
                              }));
                        });
      return;
    }
    const bool may_wait = worker_->RepliesWaitForDisk();
    resp::Output held;
    resp::Writer out(may_wait ? &held : SyncReplyTarget());
    CommandContext ctx{args, db_, &worker_->store(), &out, max_bulk, worker_, this};
    ctx.promoted = &promoted_;
    ctx.bulk = &worker_->stats().bulk;
    ctx.propagation = worker_->propagation();
    const uint64_t mark = worker_->RecordMark();
    row.handler(ctx);
    if (may_wait) ReplyWhenDurable(std::move(held), mark);
    return;
  }
  // Consecutive commands for the same shard travel together: one task, one mailbox slot and
  // one reply message for the lot.
  RemoteBatch& batch = batches_[static_cast<size_t>(target)];
  if (batch.items.empty()) batched_targets_.push_back(target);
  const uint32_t first_arg = static_cast<uint32_t>(batch.args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    if (AddArg(args, i, &batch.args)) ++worker_->stats().bulk.cross_shard_handoffs;
  }
  batch.items.push_back(
      BatchItem{&row, ReserveSlot(), first_arg, static_cast<uint32_t>(args.size()), db_});
  if (batch.items.size() >= kMaxBatch) SubmitBatch(target);
}

bool Connection::AddArg(std::span<std::string_view> args, size_t i, OwnedArgs* out) {
  if (shards::SharedBytes* big = PromotedAt(i)) {
    // Moves by reference: whoever runs the command adopts the very buffer the bytes arrived in.
    out->AddShared(std::move(*big));
    return true;
  }
  out->Add(args[i]);
  worker_->stats().bulk.plain_copied_bytes += args[i].size();
  return false;
}

bool Connection::KillIfPastQueryBufferLimit() {
  const size_t held = query_buffer_bytes();
  if (held <= static_cast<size_t>(worker_->config().client_query_buffer_limit)) return false;
  spdlog::warn(
      "closing client id={} addr={}: query buffer of {} bytes is past client-query-buffer-limit",
      id_, addr_, held);
  inbuf_.clear();
  inbuf_.shrink_to_fit();
  Kill();
  return true;
}

void Connection::SubmitBatches() {
  for (int target : batched_targets_) SubmitBatch(target);
  batched_targets_.clear();
}

void Connection::SubmitBatch(int target) {
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
      target, MakeTask([batch = std::move(batch), max_bulk, home, self = this](Worker& w) mutable {
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
          resp::Writer out(&replies[i]);
          CommandContext ctx{argv, item.db, &w.store(), &out, max_bulk};
          ctx.promoted = args->shared();
          ctx.promoted_base = item.first_arg;
          ctx.bulk = &w.stats().bulk;
          ctx.propagation = w.propagation();
          records[i].first = w.RecordMark();
          item.row->handler(ctx);
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
          w.RunParts(*item.row, item.db, args, {part},
                     [done, finish, i](Worker& at, std::vector<resp::Output>& r) {
                       done->replies[i] = std::move(r[0]);
                       finish(at);
                     });
        }
        finish(w);
      }));
}

void Connection::ExecuteMultiKey(const CommandRow& row, std::span<std::string_view> args) {
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
    RunKeyGroup(row.handler, args[0], group, step, *worker_, db_, max_bulk, &promoted_, base,
                reply);
  };

  // The key groups of one shard, when some key must be fetched from the upstream first:
  // they run with their own copy of the arguments, and `done` gets their replies.
  auto run_groups_later = [&](const std::vector<size_t>& groups, Worker::PartsDone done) {
    auto owned = std::make_shared<OwnedArgs>();
    AddArg(args, 0, owned.get());
    std::vector<KeyPart> parts;
    for (size_t g : groups) {
      parts.push_back(KeyPart::Group(owned->size(), step));
      for (size_t i = 0; i < step; ++i) AddArg(args, keys[g] + i, owned.get());
    }
    worker_->RunParts(row, db_, std::move(owned), std::move(parts), std::move(done));
  };
  auto groups_ready = [&](const std::vector<size_t>& groups) {
    std::vector<KeyPart> parts;
    for (size_t g : groups) parts.push_back(KeyPart::Group(keys[g], step));
    return worker_->PartsReady(row, db_, args, parts);
  };

  std::vector<resp::Output> parts(keys.size());
  if (all_local) {
    std::vector<size_t> all(keys.size());
    for (size_t g = 0; g < keys.size(); ++g) all[g] = g;
    if (!groups_ready(all)) {
      const uint64_t seq = ReserveSlot();
      run_groups_later(all, [self = this, seq, merge = row.merge](
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
      ReplyWhenDurable(MergeParts(row.merge, parts), mark);
    } else {
      SyncReplyTarget()->Append(MergeParts(row.merge, parts));
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
  auto* gather = new Gather{std::move(parts), 0, row.merge, this, ReserveSlot()};

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
        if (AddArg(args, keys[g] + i, &owned)) ++worker_->stats().bulk.cross_shard_handoffs;
      }
    }
    worker_->stats().cross_shard_sent++;
    // The task owns its copy of the arguments and the group indexes; `gather` is only
    // dereferenced back on `home`, where it lives until Done(); `row` is a static table row.
    worker_->Submit(s, MakeTask([owned = std::move(owned), groups, row = &row, db = db_, max_bulk,
                                 step, home, gather](Worker& w) mutable {
                      w.stats().cross_shard_received++;
                      w.ReclaimMemory();
                      // Sends the replies home once what they recorded, the records after
                      // id `from` up to `to`, is durable.
                      auto reply = [home, gather, groups](Worker& at,
                                                          std::vector<resp::Output>& replies,
                                                          uint64_t from, uint64_t to) {
                        at.AfterDurable(MakeTask([home, gather, groups, from, to,
                                                  replies = std::move(replies)](Worker& on) mutable {
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
                      if (!w.PartsReady(*row, db, views, parts)) {
                        // RunParts checks the records of each part itself.
                        w.RunParts(*row, db, std::make_shared<OwnedArgs>(std::move(owned)),
                                   std::move(parts),
                                   [reply](Worker& at, std::vector<resp::Output>& replies) {
                                     reply(at, replies, 0, 0);
                                   });
                        return;
                      }
                      std::vector<resp::Output> replies(groups.size());
                      const uint64_t from = w.RecordMark();
                      for (size_t j = 0; j < groups.size(); ++j) {
                        RunKeyGroup(row->handler, views[0], &views[1 + j * step], step, w, db,
                                    max_bulk, owned.shared(), static_cast<uint32_t>(j * step),
                                    &replies[j]);
                      }
                      reply(w, replies, from, w.RecordMark());
                    }));
  }
}

}  // namespace ringside::proxy
