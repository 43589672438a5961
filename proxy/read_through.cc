// The proxy's side of read-through (backend/read_through.h): running the parts of a command
// once their keys are known here, or passing a part whose key holds another type upstream to
// the upstream and relaying its reply.
#include "proxy/key_parts.h"
#include "proxy/worker.h"
#include "resp/reply_scanner.h"

namespace ringside::proxy {

bool PartsReady(Worker& w, const CommandRow& row, int db, std::span<const std::string_view> args,
                std::span<const KeyPart> parts) {
  backend::ReadThrough* read_through = w.read_through();
  if (read_through == nullptr) return true;
  bool ready = true;
  std::string_view argv[3];
  for (const KeyPart& p : parts) {
    std::span<const std::string_view> part = args.subspan(p.start, p.count);
    if (p.group) {
      argv[0] = args[0];
      for (uint32_t i = 0; i < p.count && i < 2; ++i) argv[1 + i] = args[p.start + i];
      part = std::span<const std::string_view>(argv, 1 + std::min<uint32_t>(p.count, 2));
    }
    // Every part is looked at, so that the loads of all its keys start together.
    if (!read_through->KeyReady(db, args[p.key], Overwrites(row, part))) ready = false;
  }
  return ready;
}

void RunParts(Worker& w, const CommandRow& row, int db, resp::Protocol proto, const Caller& who,
              std::shared_ptr<OwnedArgs> args, std::vector<KeyPart> parts, PartsDone done) {
  // Owned by this worker until the last part has run; only touched here.
  struct Job {
    const CommandRow* row;
    int db;
    resp::Protocol proto;
    Caller who;
    std::shared_ptr<OwnedArgs> args;
    std::vector<std::string_view> views;
    std::vector<KeyPart> parts;
    std::vector<resp::Output> replies;
    size_t remaining;
    PartsDone done;
    // The part's arguments; `storage` holds a group's.
    std::span<const std::string_view> Argv(size_t i, std::string_view* storage) const {
      const KeyPart& p = parts[i];
      if (!p.group) return std::span<const std::string_view>(views).subspan(p.start, p.count);
      storage[0] = views[0];
      for (uint32_t j = 0; j < p.count && j < 2; ++j) storage[1 + j] = views[p.start + j];
      return {storage, 1 + std::min<uint32_t>(p.count, 2)};
    }
    // The records each part made, for a sync upstream's refusals.
    std::vector<std::pair<uint64_t, uint64_t>> records;
    void PartDone(Worker& w, const std::shared_ptr<Job>& self) {
      if (--remaining > 0) return;
      // Once what the parts recorded is durable; a part whose record the upstream refused
      // answers the refusal.
      w.AfterDurable(MakeTask([self](Worker& at) {
        std::string refused;
        for (size_t i = 0; i < self->records.size(); ++i) {
          const auto [from, to] = self->records[i];
          if (at.SyncRefused(from, to, &refused)) {
            self->replies[i] = resp::Output{"-" + refused + "\r\n", {}};
          }
        }
        self->done(at, self->replies);
      }));
    }
  };
  auto job = std::make_shared<Job>();
  job->row = &row;
  job->db = db;
  job->proto = proto;
  job->who = who;
  job->views = args->Views();
  job->args = std::move(args);
  job->parts = std::move(parts);
  job->replies.resize(job->parts.size());
  job->records.resize(job->parts.size());
  job->remaining = job->parts.size() + 1;  // and one for this call
  job->done = std::move(done);

  const auto run_here = [](Worker& w, Job& j, size_t i) {
    std::string_view storage[3];
    const std::span<const std::string_view> argv = j.Argv(i, storage);
    resp::Writer out(&j.replies[i], j.proto);
    CommandContext ctx{argv, j.db, &w.store(), &out, w.config().proto_max_bulk_len};
    ctx.proto = j.proto;
    ctx.promoted = j.args->shared();
    ctx.promoted_base = j.parts[i].group ? j.parts[i].start - 1 : j.parts[i].start;
    j.records[i].first = w.RecordMark();
    w.RunHandler(*j.row, j.row->handler, ctx, j.who);
    j.records[i].second = w.RecordMark();
  };
  const auto forward = [](Worker& w, const std::shared_ptr<Job>& j, size_t i) {
    std::string_view storage[3];
    const std::span<const std::string_view> argv = j->Argv(i, storage);
    const bool reads = (j->row->flags & kReadOnly) != 0;
    const bool unwrap = j->parts[i].group && j->row->merge == Merge::kArray;
    w.PassThrough(j->db, argv, /*resend=*/reads, [j, i, unwrap](Worker& at, std::string reply) {
      if (j->proto == resp::Protocol::kResp3) {
        const auto shape = j->row->resp3_shape;
        std::string_view storage[3];
        reply = resp::Resp2ToResp3(
            reply, shape != nullptr ? shape(j->Argv(i, storage)) : resp::Resp3Shape::kNullsOnly);
      }
      // A key group's reply is one value of the command's array (MGET).
      if (unwrap && reply.size() > 4 && reply[0] == '*' && reply[1] == '1' && reply[2] == '\r') {
        reply.erase(0, 4);  // "*1\r\n"
      }
      j->replies[i] = resp::Output{std::move(reply), {}};
      j->PartDone(at, j);
    });
  };
  for (size_t i = 0; i < job->parts.size(); ++i) {
    std::string_view storage[3];
    const std::span<const std::string_view> argv = job->Argv(i, storage);
    const std::string_view key = job->views[job->parts[i].key];
    if (w.KeyReady(db, key, Overwrites(row, argv))) {
      run_here(w, *job, i);
      job->PartDone(w, job);
      continue;
    }
    // `w` is this worker, where the job lives and the load ends.
    w.read_through()->WaitForKey(
        db, key, [&w, job, i, run_here, forward](backend::KeyCase how, std::string_view error) {
          std::string_view storage[3];
          if (how == backend::KeyCase::kForward && !Overwrites(*job->row, job->Argv(i, storage))) {
            forward(w, job, i);
            return;
          }
          if (how == backend::KeyCase::kFailed) {
            job->replies[i] = resp::Output{"-" + std::string(error) + "\r\n", {}};
          } else {
            run_here(w, *job, i);
          }
          job->PartDone(w, job);
        });
  }
  job->PartDone(w, job);
}

void Worker::PassThrough(int db, std::span<const std::string_view> argv, bool resend,
                         std::function<void(Worker& w, std::string reply)> done) {
  read_through_->PassThrough(db, argv, resend, [this, done = std::move(done)](std::string reply) {
    done(*this, std::move(reply));
  });
}

void Worker::WhenKeyKnown(int db, std::string_view key, KeyKnownFn fn) {
  if (KeyReady(db, key, /*overwrites=*/false)) return fn(*this, KeyCase::kHere, {});
  read_through_->WaitForKey(
      db, key,
      [this, fn = std::move(fn)](KeyCase how, std::string_view error) { fn(*this, how, error); });
}

void Worker::AfterUpstreamAcked(TaskPtr task) {
  durability_->AfterAcked([this, task = std::move(task)] { task->Run(*this); });
}

}  // namespace ringside::proxy
