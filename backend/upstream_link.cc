#include "backend/upstream_link.h"

#include <hiredis/hiredis.h>

namespace ringside::backend {

namespace {

// Error replies that say nothing about the command itself, only about the server's state.
bool Transient(std::string_view error) {
  for (std::string_view prefix : {"NOAUTH", "WRONGPASS", "LOADING", "READONLY", "MASTERDOWN",
                                  "BUSY", "MISCONF", "TRYAGAIN", "CLUSTERDOWN", "NOPERM"}) {
    if (error.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace

UpstreamStats& UpstreamStats::operator+=(const UpstreamStats& o) {
  pending_records += o.pending_records;
  acked_records += o.acked_records;
  record_errors += o.record_errors;
  reconnects += o.reconnects;
  sent_bytes += o.sent_bytes;
  return *this;
}

UpstreamLink::UpstreamLink(std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {}

UpstreamLink::~UpstreamLink() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

void UpstreamLink::Record(int db, std::span<const std::string_view> argv) {
  Held h{db, {}};
  AppendCommand(&h.command, argv);
  held_.push_back(std::move(h));
  ++recorded_;
}

void UpstreamLink::Connected() {
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = redisReaderCreate();
  if (ever_connected_) ++reconnects_;
  ever_connected_ = true;
  connected_ = true;
  sent_records_ = 0;
  in_flight_.clear();
  out_.clear();
  conn_db_ = 0;
  auth_pending_ = !password_.empty();
  if (auth_pending_) {
    std::string_view auth[3] = {"AUTH", user_, password_};
    if (user_.empty()) {
      auth[1] = password_;
      AppendCommand(&out_, std::span<const std::string_view>(auth, 2));
    } else {
      AppendCommand(&out_, auth);
    }
    in_flight_.push_back(Sent::kAuth);
  }
}

void UpstreamLink::Disconnected() {
  connected_ = false;
  auth_pending_ = false;
  sent_records_ = 0;
  in_flight_.clear();
  out_.clear();
}

std::string UpstreamLink::TakeOutput() {
  if (!ready()) {
    // Only the AUTH may go before the upstream accepted it.
    std::string auth = std::move(out_);
    out_.clear();
    sent_bytes_ += auth.size();
    return auth;
  }
  while (sent_records_ < held_.size()) {
    const Held& h = held_[sent_records_++];
    if (h.db != conn_db_) {
      const std::string db = std::to_string(h.db);
      const std::string_view select[2] = {"SELECT", db};
      AppendCommand(&out_, select);
      in_flight_.push_back(Sent::kSelect);
      conn_db_ = h.db;
    }
    out_.append(h.command);
    in_flight_.push_back(Sent::kRecord);
  }
  std::string out = std::move(out_);
  out_.clear();
  sent_bytes_ += out.size();
  return out;
}

bool UpstreamLink::OnInput(std::string_view data) {
  if (!connected_ || reader_ == nullptr) return true;
  if (redisReaderFeed(reader_, data.data(), data.size()) != REDIS_OK) {
    last_error_ = "unreadable reply from the upstream";
    return false;
  }
  const uint64_t acked_before = acked_;
  bool ok = true;
  while (ok) {
    void* obj = nullptr;
    if (redisReaderGetReply(reader_, &obj) != REDIS_OK) {
      last_error_ = std::string("unreadable reply from the upstream: ") + reader_->errstr;
      ok = false;
      break;
    }
    if (obj == nullptr) break;
    auto* reply = static_cast<redisReply*>(obj);
    const bool is_error = reply->type == REDIS_REPLY_ERROR;
    const std::string_view text =
        (reply->type == REDIS_REPLY_ERROR || reply->type == REDIS_REPLY_STATUS)
            ? std::string_view(reply->str, reply->len)
            : std::string_view();
    ok = OnReply(is_error, text);
    freeReplyObject(reply);
  }
  if (acked_ != acked_before && on_acked_) on_acked_(acked_);
  return ok;
}

bool UpstreamLink::OnReply(bool is_error, std::string_view text) {
  if (in_flight_.empty()) {
    last_error_ = "the upstream sent a reply nothing asked for";
    return false;
  }
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
      }
      held_.pop_front();
      --sent_records_;
      ++acked_;
      return true;
  }
  return true;
}

UpstreamStats UpstreamLink::stats() const {
  UpstreamStats s;
  s.pending_records = recorded_ - acked_;
  s.acked_records = acked_;
  s.record_errors = record_errors_;
  s.reconnects = reconnects_;
  s.sent_bytes = sent_bytes_;
  return s;
}

}  // namespace ringside::backend
