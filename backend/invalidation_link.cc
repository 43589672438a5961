#include "backend/invalidation_link.h"

#include <hiredis/hiredis.h>

namespace ringside::backend {

namespace {

constexpr std::string_view kChannel = "__redis__:invalidate";

std::string_view Text(const redisReply* r) {
  return r->str != nullptr ? std::string_view(r->str, r->len) : std::string_view();
}

}  // namespace

InvalidationLink::InvalidationLink(std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {}

InvalidationLink::~InvalidationLink() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

void InvalidationLink::Connected() {
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = redisReaderCreate();
  in_flight_.clear();
  out_.clear();
  pending_id_ = 0;
  client_id_ = 0;
  if (AppendAuth(&out_, user_, password_)) in_flight_.push_back(Sent::kAuth);
  const std::string_view id[] = {"CLIENT", "ID"};
  AppendCommand(&out_, id);
  in_flight_.push_back(Sent::kClientId);
  const std::string_view subscribe[] = {"SUBSCRIBE", kChannel};
  AppendCommand(&out_, subscribe);
  in_flight_.push_back(Sent::kSubscribe);
}

void InvalidationLink::Disconnected() {
  in_flight_.clear();
  out_.clear();
  const bool was_subscribed = client_id_ != 0;
  client_id_ = 0;
  pending_id_ = 0;
  if (was_subscribed && on_subscribed_) on_subscribed_(0);
}

std::vector<UpstreamProtocol::OutputPiece> InvalidationLink::TakeOutputPieces() {
  std::vector<OutputPiece> pieces;
  if (!out_.empty()) pieces.push_back(OutputPiece{std::move(out_), nullptr});
  out_.clear();
  return pieces;
}

bool InvalidationLink::OnInput(std::string_view data) {
  if (reader_ == nullptr) return true;
  return ReadReplies(reader_, data, &last_error_,
                     [this](const redisReply* reply) { return OnReply(reply); });
}

bool InvalidationLink::OnReply(const redisReply* reply) {
  if (!in_flight_.empty()) {
    const Sent what = in_flight_.front();
    in_flight_.pop_front();
    if (reply->type == REDIS_REPLY_ERROR) {
      const char* step = what == Sent::kAuth       ? "AUTH"
                         : what == Sent::kClientId ? "CLIENT ID"
                                                   : "SUBSCRIBE";
      last_error_ = std::string(step) + " refused: " + std::string(Text(reply));
      return false;
    }
    switch (what) {
      case Sent::kAuth:
        return true;
      case Sent::kClientId:
        if (reply->type != REDIS_REPLY_INTEGER || reply->integer <= 0) {
          last_error_ = "CLIENT ID gave no id";
          return false;
        }
        pending_id_ = reply->integer;
        return true;
      case Sent::kSubscribe:
        client_id_ = pending_id_;
        last_error_.clear();
        if (on_subscribed_) on_subscribed_(client_id_);
        return true;
    }
  }
  // A published message: ["message", channel, keys or nil].
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
      Text(reply->element[0]) != "message") {
    last_error_ = "the upstream sent something other than an invalidation";
    return false;
  }
  if (Text(reply->element[1]) != kChannel) return true;
  const redisReply* payload = reply->element[2];
  if (payload->type == REDIS_REPLY_NIL) {
    if (on_invalidate_) on_invalidate_({}, true);
    return true;
  }
  std::vector<std::string_view> keys;
  if (payload->type == REDIS_REPLY_ARRAY) {
    keys.reserve(payload->elements);
    for (size_t i = 0; i < payload->elements; ++i) keys.push_back(Text(payload->element[i]));
  } else {
    keys.push_back(Text(payload));
  }
  if (on_invalidate_) on_invalidate_(keys, false);
  return true;
}

}  // namespace ringside::backend
