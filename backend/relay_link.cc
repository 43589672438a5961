#include "backend/relay_link.h"

#include "resp/reply_scanner.h"

namespace ringside::backend {

RelayLink::RelayLink(std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {}

RelayLink::~RelayLink() = default;

void RelayLink::Send(std::span<const std::string_view> argv) {
  AppendCommand(ready() ? &out_ : &waiting_, argv);
  ++outstanding_;
}

void RelayLink::UseResp3() {
  const std::string_view hello[] = {"HELLO", "3"};
  AppendCommand(ready() ? &out_ : &waiting_, hello);
  ++internal_;
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
  in_.clear();
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
  if (!connected_) return true;
  in_.append(data);
  size_t at = 0;
  bool ok = true;
  while (ok && at < in_.size()) {
    const resp::ReplyScan scan = resp::ScanReply(std::string_view(in_).substr(at));
    if (scan.status == resp::ScanStatus::kNeedMore) break;
    if (scan.status == resp::ScanStatus::kMalformed) {
      last_error_ = "unreadable reply from the upstream";
      ok = false;
      break;
    }
    std::string reply = in_.substr(at, scan.length);
    at += scan.length;
    // Replies to the connection's own AUTH and SELECT, and to Reset's and UseResp3's
    // commands, are not passed on.
    if (auth_pending_ || internal_ > 0) {
      if (reply[0] == '-' || reply[0] == '!') {
        last_error_ = std::string(auth_pending_ ? "AUTH" : "RESET, HELLO, AUTH or SELECT") +
                      " refused: " + reply.substr(1, reply.size() - 3);
        ok = false;
        break;
      }
      if (auth_pending_) {
        auth_pending_ = false;
        out_ += waiting_;
        waiting_.clear();
      } else {
        --internal_;
      }
      continue;
    }
    if (outstanding_ > 0) --outstanding_;
    if (on_reply_) on_reply_(std::move(reply));
  }
  in_.erase(0, at);
  return ok;
}

}  // namespace ringside::backend
