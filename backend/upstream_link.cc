#include "backend/upstream_link.h"

#include "backend/aof_buffer.h"
#include "backend/aof_reader.h"

#include <hiredis/hiredis.h>

#include <algorithm>

namespace ringside::backend {

namespace {

// Error replies that say nothing about the command itself, only about the server's state.
// NOPERM is not one: the user's ACL refused this command or key, and would refuse it again, so
// retrying it would hold every later record back for good.
bool Transient(std::string_view error) {
  for (std::string_view prefix : {"NOAUTH", "WRONGPASS", "LOADING", "READONLY", "MASTERDOWN",
                                  "BUSY", "MISCONF", "TRYAGAIN", "CLUSTERDOWN"}) {
    if (error.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

// hiredis makes one kind of nil of "$-1" and "*-1"; the reader's task still says which it was.
void* (*default_create_nil)(const redisReadTask*) = nullptr;

void* CreateNil(const redisReadTask* task) {
  auto* reply = static_cast<redisReply*>(default_create_nil(task));
  if (reply != nullptr) reply->integer = task->type == REDIS_REPLY_ARRAY ? 1 : 0;
  return reply;
}

void AppendLine(std::string* out, char prefix, std::string_view text) {
  out->push_back(prefix);
  out->append(text);
  out->append("\r\n");
}

}  // namespace

redisReader* CreateReplyReader() {
  static redisReplyObjectFunctions functions = [] {
    redisReader* plain = redisReaderCreate();
    redisReplyObjectFunctions f = *plain->fn;
    redisReaderFree(plain);
    default_create_nil = f.createNil;
    f.createNil = CreateNil;
    return f;
  }();
  return redisReaderCreateWithFunctions(&functions);
}

bool ReadReplies(redisReader* reader, std::string_view data, std::string* error,
                 const std::function<bool(const redisReply*)>& fn) {
  if (redisReaderFeed(reader, data.data(), data.size()) != REDIS_OK) {
    *error = "unreadable reply from the upstream";
    return false;
  }
  for (;;) {
    void* obj = nullptr;
    if (redisReaderGetReply(reader, &obj) != REDIS_OK) {
      *error = std::string("unreadable reply from the upstream: ") + reader->errstr;
      return false;
    }
    if (obj == nullptr) return true;
    auto* reply = static_cast<redisReply*>(obj);
    const bool ok = fn(reply);
    freeReplyObject(reply);
    if (!ok) return false;
  }
}

bool AppendAuth(std::string* out, const std::string& user, const std::string& password) {
  if (password.empty()) return false;
  if (user.empty()) {
    const std::string_view auth[] = {"AUTH", password};
    AppendCommand(out, auth);
  } else {
    const std::string_view auth[] = {"AUTH", user, password};
    AppendCommand(out, auth);
  }
  return true;
}

void AppendReply(std::string* out, const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      AppendLine(out, '+', std::string_view(r->str, r->len));
      return;
    case REDIS_REPLY_ERROR:
      AppendLine(out, '-', std::string_view(r->str, r->len));
      return;
    case REDIS_REPLY_INTEGER:
      AppendLine(out, ':', std::to_string(r->integer));
      return;
    case REDIS_REPLY_NIL:
      out->append(r->integer == 1 ? "*-1\r\n" : "$-1\r\n");
      return;
    case REDIS_REPLY_STRING:
      AppendLine(out, '$', std::to_string(r->len));
      out->append(r->str, r->len);
      out->append("\r\n");
      return;
    case REDIS_REPLY_ARRAY:
      AppendLine(out, '*', std::to_string(r->elements));
      for (size_t i = 0; i < r->elements; ++i) AppendReply(out, r->element[i]);
      return;
    default:
      out->append("-ERR unexpected reply from the upstream\r\n");
      return;
  }
}

UpstreamStats& UpstreamStats::operator+=(const UpstreamStats& o) {
  pending_records += o.pending_records;
  acked_records += o.acked_records;
  record_errors += o.record_errors;
  reconnects += o.reconnects;
  sent_bytes += o.sent_bytes;
  pending_bytes += o.pending_bytes;
  spilled_records += o.spilled_records;
  journal_bytes += o.journal_bytes;
  journal_compactions += o.journal_compactions;
  lag_ms = std::max(lag_ms, o.lag_ms);
  return *this;
}

UpstreamLink::UpstreamLink(std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {}

UpstreamLink::~UpstreamLink() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

void UpstreamLink::Record(int db, std::span<const std::string_view> argv) {
  if (argv.empty() || !IsFlushRecord(argv[0])) {
    Hold(db, argv);
    return;
  }
  gates_.push_back(recorded_);
  Hold(db, argv);
  gates_.push_back(recorded_);
  CheckGate();
}

void UpstreamLink::Replay(int db, std::span<const std::string_view> argv) {
  gates_started_ = false;
  Record(db, argv);
}

void UpstreamLink::FenceAtStart(uint64_t pairs) {
  gates_.insert(gates_.begin(), 2 * pairs, 0);
  gates_started_ = true;
  CheckGate();
}

void UpstreamLink::Hold(int db, std::span<const std::string_view> argv) {
  ++recorded_;
  if (spilled_ > 0) {
    ++spilled_;
    return;
  }
  if (memory_limit_ > 0 && !held_.empty()) {
    size_t about = 0;  // the encoded size, near enough
    for (std::string_view a : argv) about += a.size() + 16;
    if (held_bytes_ + about > memory_limit_) {
      if (on_spill_) on_spill_();
      spilled_ = 1;
      return;
    }
  }
  held_.push_back(Encode(db, argv));
}

UpstreamLink::Held UpstreamLink::Encode(int db, std::span<const std::string_view> argv) {
  auto command = std::make_shared<std::string>();
  AppendCommand(command.get(), argv);
  held_bytes_ += command->size();
  return Held{db, std::move(command)};
}

void UpstreamLink::Refill(int db, std::span<const std::string_view> argv) {
  if (spilled_ == 0) return;
  --spilled_;
  held_.push_back(Encode(db, argv));
}

void UpstreamLink::ForEachHeld(uint64_t after, uint64_t upto,
                               const std::function<void(int, std::string_view)>& fn) const {
  // held_[i] has id acked_ + 1 + i.
  const uint64_t first = std::max(after, acked_) - acked_;
  const uint64_t end = std::min<uint64_t>(upto - std::min(upto, acked_), held_.size());
  for (uint64_t i = first; i < end; ++i) fn(held_[i].db, *held_[i].command);
}

void UpstreamLink::AppendHeld(std::string* out) const {
  AofBuffer journal;
  for (const Held& h : held_) journal.RecordEncoded(h.db, *h.command);
  out->append(journal.Take());
}

void UpstreamLink::CheckGate() {
  if (!gates_started_ || gates_.empty() || gate_reported_ || acked_ < gates_.front()) return;
  gate_reported_ = true;
  if (on_gate_) on_gate_(gates_opened_);
}

void UpstreamLink::OpenGate() {
  if (gates_.empty()) return;
  gates_.pop_front();
  ++gates_opened_;
  gate_reported_ = false;
  CheckGate();
}

void UpstreamLink::Connected() {
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = CreateReplyReader();
  if (ever_connected_) ++reconnects_;
  ever_connected_ = true;
  connected_ = true;
  sent_records_ = 0;
  sent_queries_ = 0;
  in_flight_.clear();
  out_.clear();
  conn_db_ = db_base_ == 0 ? 0 : -1;  // a new connection is in upstream database 0
  auth_pending_ = AppendAuth(&out_, user_, password_);
  if (auth_pending_) in_flight_.push_back(Sent::kAuth);
  if (redirect_ != 0) SendTracking();
}

void UpstreamLink::Disconnected() {
  connected_ = false;
  auth_pending_ = false;
  sent_records_ = 0;
  in_flight_.clear();
  out_.clear();
  // Queries that may have run go again only when running twice is harmless.
  std::vector<QueryDone> failed;
  std::deque<PendingQuery> kept;
  for (size_t i = 0; i < queries_.size(); ++i) {
    if (i < sent_queries_ && !queries_[i].resend) {
      failed.push_back(std::move(queries_[i].done));
    } else {
      kept.push_back(std::move(queries_[i]));
    }
  }
  queries_ = std::move(kept);
  sent_queries_ = 0;
  if (tracking_sent_) TrackingLost();
  for (QueryDone& done : failed) done(nullptr, false);
}

void UpstreamLink::Query(int db, std::span<const std::string_view> argv, bool resend,
                         QueryDone done) {
  PendingQuery q{recorded_, db, {}, resend, std::move(done)};
  AppendCommand(&q.command, argv);
  queries_.push_back(std::move(q));
}

void UpstreamLink::set_tracking_redirect(int64_t client_id) {
  if (client_id == redirect_) return;
  redirect_ = client_id;
  if (tracking_sent_) TrackingLost();
  if (redirect_ != 0 && connected_) SendTracking();
}

void UpstreamLink::SendTracking() {
  const std::string id = std::to_string(redirect_);
  const std::string_view argv[] = {"CLIENT", "TRACKING", "ON", "REDIRECT", id, "BCAST", "NOLOOP"};
  AppendCommand(&out_, argv);
  in_flight_.push_back(Sent::kTracking);
  tracking_sent_ = true;
}

void UpstreamLink::TrackingLost() {
  tracking_sent_ = false;
  ++tracking_epoch_;
  if (on_tracking_lost_) on_tracking_lost_();
}

void UpstreamLink::SelectDb(int db) {
  if (db == conn_db_) return;
  const std::string text = std::to_string(static_cast<int64_t>(db) + db_base_);
  const std::string_view select[2] = {"SELECT", text};
  AppendCommand(&out_, select);
  in_flight_.push_back(Sent::kSelect);
  conn_db_ = db;
}

std::vector<UpstreamLink::OutputPiece> UpstreamLink::TakeOutputPieces() {
  std::vector<OutputPiece> pieces;
  const auto flush_bytes = [&] {
    if (out_.empty()) return;
    sent_bytes_ += out_.size();
    pieces.push_back(OutputPiece{std::move(out_), nullptr});
    out_.clear();
  };
  // Only the AUTH (and the tracking registration) may go before the upstream accepted it.
  if (!ready()) {
    flush_bytes();
    return pieces;
  }
  for (;;) {
    const uint64_t last_sent = acked_ + sent_records_;
    // A query goes once the records made before it went, unless a closed gate is before it.
    if (sent_queries_ < queries_.size()) {
      PendingQuery& q = queries_[sent_queries_];
      if (q.after <= last_sent && (gates_.empty() || q.after < gates_.front())) {
        SelectDb(q.db);
        out_.append(q.command);
        in_flight_.push_back(Sent::kQuery);
        q.epoch = tracking_sent_ ? tracking_epoch_ : 0;
        ++sent_queries_;
        continue;
      }
    }
    if (sent_records_ >= held_.size()) break;
    // A closed gate: nothing past it goes out yet.
    if (!gates_.empty() && last_sent >= gates_.front()) break;
    const Held& h = held_[sent_records_++];
    SelectDb(h.db);
    if (h.command->size() >= kSendInPlace) {
      flush_bytes();
      sent_bytes_ += h.command->size();
      pieces.push_back(OutputPiece{{}, h.command});
    } else {
      out_.append(*h.command);
    }
    in_flight_.push_back(Sent::kRecord);
  }
  flush_bytes();
  return pieces;
}

std::string UpstreamLink::TakeOutput() {
  std::string out;
  for (OutputPiece& p : TakeOutputPieces()) {
    if (p.shared) {
      out.append(*p.shared);
    } else {
      out.append(p.bytes);
    }
  }
  return out;
}

bool UpstreamLink::OnInput(std::string_view data) {
  if (!connected_ || reader_ == nullptr) return true;
  const uint64_t acked_before = acked_;
  const bool ok = ReadReplies(reader_, data, &last_error_,
                              [this](const redisReply* reply) { return OnReply(reply); });
  if (acked_ != acked_before) {
    if (on_acked_) on_acked_(acked_);
    CheckGate();
  }
  return ok;
}

bool UpstreamLink::OnReply(const redisReply* reply) {
  if (in_flight_.empty()) {
    last_error_ = "the upstream sent a reply nothing asked for";
    return false;
  }
  const bool is_error = reply->type == REDIS_REPLY_ERROR;
  const std::string_view text = (reply->type == REDIS_REPLY_ERROR ||
                                 reply->type == REDIS_REPLY_STATUS)
                                    ? std::string_view(reply->str, reply->len)
                                    : std::string_view();
  const Sent what = in_flight_.front();
  in_flight_.pop_front();
  switch (what) {
    case Sent::kAuth:
      if (is_error) {
        last_error_ = "AUTH refused: " + std::string(text);
        return false;
      }
      auth_pending_ = false;
      last_error_.clear();
      return true;
    case Sent::kSelect:
      if (is_error) {
        // Records for a database the upstream does not have would land in the wrong one.
        last_error_ = "SELECT refused: " + std::string(text);
        return false;
      }
      return true;
    case Sent::kTracking:
      if (is_error) {
        // Reads still go through; what they bring is just not kept.
        last_error_ = "CLIENT TRACKING refused: " + std::string(text);
        if (tracking_sent_) TrackingLost();
      }
      return true;
    case Sent::kQuery: {
      if (is_error && Transient(text) && queries_.front().resend) {
        // As for a record: asked again on the next connection.
        last_error_ = std::string(text);
        return false;
      }
      PendingQuery q = std::move(queries_.front());
      queries_.pop_front();
      --sent_queries_;
      q.done(reply, q.epoch != 0 && q.epoch == tracking_epoch_);
      return true;
    }
    case Sent::kRecord:
      if (is_error && Transient(text)) {
        // The upstream did not look at the record (it wants AUTH, is loading, is a replica
        // now, ...): it stays held and goes again on the next connection.
        last_error_ = std::string(text);
        return false;
      }
      // Any other error is an answer too: the upstream has decided on the record, and sending
      // it again would get the same answer.
      if (is_error) {
        ++record_errors_;
        last_error_ = std::string(text);
        if (keep_errors_) {
          RecordError e{acked_ + 1, held_.front().db, {}, std::string(text)};
          ScanAof(*held_.front().command, [&](std::span<const std::string_view> argv) {
            if (argv.size() > 1 && !IsFlushRecord(argv[0])) e.key = std::string(argv[1]);
            return std::string();
          });
          if (errors_.size() >= kMaxKeptErrors) errors_.pop_front();
          errors_.push_back(std::move(e));
        }
      }
      held_bytes_ -= held_.front().command->size();
      held_.pop_front();
      --sent_records_;
      ++acked_;
      return true;
  }
  return true;
}

std::vector<UpstreamLink::RecordError> UpstreamLink::TakeErrors(uint64_t from, uint64_t to) {
  std::vector<RecordError> out;
  while (!errors_.empty() && errors_.front().id <= from) errors_.pop_front();  // nobody asks
  while (!errors_.empty() && errors_.front().id <= to) {
    out.push_back(std::move(errors_.front()));
    errors_.pop_front();
  }
  return out;
}

UpstreamStats UpstreamLink::stats() const {
  UpstreamStats s;
  s.pending_records = recorded_ - acked_;
  s.acked_records = acked_;
  s.record_errors = record_errors_;
  s.reconnects = reconnects_;
  s.sent_bytes = sent_bytes_;
  s.pending_bytes = held_bytes_;
  s.spilled_records = spilled_;
  return s;
}

}  // namespace ringside::backend
