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
  if (password_.empty()) return;
  if (user_.empty()) {
    const std::string_view auth[] = {"AUTH", password_};
    AppendCommand(out, auth);
  } else {
    const std::string_view auth[] = {"AUTH", user_, password_};
    AppendCommand(out, auth);
  }
  ++internal_;
}

void RelayLink::Connected() {
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = CreateReplyReader();
  connected_ = true;
  auth_pending_ = !password_.empty();
  if (!auth_pending_) {
    out_ = std::move(waiting_);
    waiting_.clear();
    return;
  }
  if (user_.empty()) {
    const std::string_view auth[] = {"AUTH", password_};
    AppendCommand(&out_, auth);
  } else {
    const std::string_view auth[] = {"AUTH", user_, password_};
    AppendCommand(&out_, auth);
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
  if (redisReaderFeed(reader_, data.data(), data.size()) != REDIS_OK) {
    last_error_ = "unreadable reply from the upstream";
    return false;
  }
  for (;;) {
    void* obj = nullptr;
    if (redisReaderGetReply(reader_, &obj) != REDIS_OK) {
      last_error_ = std::string("unreadable reply from the upstream: ") + reader_->errstr;
      return false;
    }
    if (obj == nullptr) return true;
    auto* reply = static_cast<redisReply*>(obj);
    if (auth_pending_) {
      const bool refused = reply->type == REDIS_REPLY_ERROR;
      if (refused) last_error_ = "AUTH refused: " + std::string(reply->str, reply->len);
      freeReplyObject(reply);
      if (refused) return false;
      auth_pending_ = false;
      out_ += waiting_;
      waiting_.clear();
      continue;
    }
    if (internal_ > 0) {
      --internal_;
      const bool refused = reply->type == REDIS_REPLY_ERROR;
      if (refused) last_error_ = "RESET or AUTH refused: " + std::string(reply->str, reply->len);
      freeReplyObject(reply);
      if (refused) return false;
      continue;
    }
    std::string text;
    AppendReply(&text, reply);
    freeReplyObject(reply);
    if (outstanding_ > 0) --outstanding_;
    if (on_reply_) on_reply_(std::move(text));
  }
}

}  // namespace ringside::backend
