#include "backend/relay_link.h"

#include <hiredis/hiredis.h>

namespace ringside::backend {

RelayLink::RelayLink(std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {}

RelayLink::~RelayLink() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

void RelayLink::Send(std::span<const std::string_view> argv) {
  AppendCommand(ready() ? &out_ : &waiting_, argv);
  ++outstanding_;
}

void RelayLink::Reset() {
  std::string* out = ready() ? &out_ : &waiting_;
  const std::string_view reset[] = {"RESET"};
  AppendCommand(out, reset);
  ++internal_;
  if (AppendAuth(out, user_, password_)) ++internal_;
  AppendSelectBase(out);
}

void RelayLink::AppendSelectBase(std::string* out) {
  if (db_base_ == 0) return;
  const std::string db = std::to_string(db_base_);
  const std::string_view select[] = {"SELECT", db};
  AppendCommand(out, select);
  ++internal_;
}

void RelayLink::Connected() {
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = CreateReplyReader();
  connected_ = true;
  auth_pending_ = AppendAuth(&out_, user_, password_);
  AppendSelectBase(&out_);
  if (!auth_pending_) {
    out_ += waiting_;
    waiting_.clear();
  }
}

void RelayLink::Disconnected() {
  connected_ = false;
  auth_pending_ = false;
  out_.clear();
}

std::vector<UpstreamProtocol::OutputPiece> RelayLink::TakeOutputPieces() {
  std::vector<OutputPiece> pieces;
  if (!out_.empty()) pieces.push_back(OutputPiece{std::move(out_), nullptr});
  out_.clear();
  return pieces;
}

bool RelayLink::OnInput(std::string_view data) {
  if (reader_ == nullptr) return true;
  return ReadReplies(reader_, data, &last_error_, [this](const redisReply* reply) {
    // Replies to the connection's own AUTH and SELECT, and to Reset's commands, are not passed
    // on.
    if (auth_pending_ || internal_ > 0) {
      if (reply->type == REDIS_REPLY_ERROR) {
        last_error_ = std::string(auth_pending_ ? "AUTH" : "RESET, AUTH or SELECT") +
                      " refused: " + std::string(reply->str, reply->len);
        return false;
      }
      if (auth_pending_) {
        auth_pending_ = false;
        out_ += waiting_;
        waiting_.clear();
      } else {
        --internal_;
      }
      return true;
    }
    std::string text;
    AppendReply(&text, reply);
    if (outstanding_ > 0) --outstanding_;
    if (on_reply_) on_reply_(std::move(text));
    return true;
  });
}

}  // namespace ringside::backend
