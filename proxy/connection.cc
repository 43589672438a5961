#include "proxy/connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "proxy/owned_args.h"
#include "proxy/server.h"
#include "proxy/worker.h"

namespace ringside::proxy {

namespace {

// Outstanding replies beyond which a connection stops parsing, and the level at which it
// starts again. Bounds the memory one pipelining client can pin in mailboxes and slots.
constexpr size_t kMaxPendingReplies = 1024;
// Replies a client that has not logged in may leave unread (Redis's 16 KiB reply buffer and
// the 1 KiB it allows beyond it), so that it cannot make ringside hold memory for it.
constexpr size_t kUnauthenticatedOutputLimit = 16 * 1024 + 1024;
constexpr size_t kResumePendingReplies = 256;
// Held-back input beyond which the connection stops reading its socket.
constexpr size_t kMaxHeldInput = 256 * 1024;
// Reads without a big argument after which a connection that had one goes back from reading
// one buffer at a time to multishot receive.
constexpr uint32_t kSingleReadLinger = 64;
// Bytes appended to a partly received command at a time while BigBulk is on.
constexpr size_t kHeadProbe = 1024;
// A TLS client that has not finished its handshake by then is dropped: it holds a socket and
// OpenSSL state without having shown it is a client at all.
constexpr int64_t kClientHandshakeTimeoutMs = 10000;

}  // namespace

Connection::Connection(Worker* worker, int fd, uint64_t id, PeerInfo peer)
    : worker_(worker),
      id_(id),
      addr_(std::move(peer.addr)),
      laddr_(std::move(peer.laddr)),
      unix_socket_(peer.unix_socket),
      tls_(peer.tls),
      created_ms_(worker->store().NowMs()),
      last_interaction_ms_(created_ms_),
      dispatcher_(this, worker) {
  acl::Users& users = worker->server().users();
  users_generation_ = users.generation();
  user_ = users.Default();
  default_needs_auth_ = !user_->enabled || !user_->nopass;
  authenticated_ = !default_needs_auth_;
  UpdateParserLimits();
  if (!tls_) {
    stream_ = worker->reactor().AddStream(fd, this);
    return;
  }
  worker->stats().tls_clients++;
  TlsStreamOptions options;
  options.role = TlsRole::kServer;
  options.handshake_timeout_ms = kClientHandshakeTimeoutMs;
  stream_ =
      worker->reactor().AddTlsStream(fd, this, worker->server().tls().clients().get(), options);
}

void Connection::OnTlsError(const std::string& why) {
  spdlog::debug("Error accepting a client connection: {} (addr={} laddr={})", why, addr_, laddr_);
}

void Connection::UpdateParserLimits() {
  resp::Limits limits;
  limits.max_bulk_len = worker_->config().proto_max_bulk_len;
  limits.unauthenticated = NeedsAuth();
  parser_.set_limits(limits);
}

void Connection::set_user(std::shared_ptr<const acl::User> user, bool authenticated) {
  user_ = std::move(user);
  authenticated_ = authenticated;
  upstream_login_.reset();
  UpdateParserLimits();
}

void Connection::LogInUpstream(std::shared_ptr<const acl::User> rights, UpstreamLogin login) {
  set_user(std::move(rights), true);
  upstream_login_ = std::move(login);
}

bool Connection::RefreshUser() {
  acl::Users& users = worker_->server().users();
  const uint64_t generation = users.generation();
  if (generation == users_generation_) return true;
  users_generation_ = generation;
  const std::shared_ptr<const acl::User> def = users.Default();
  default_needs_auth_ = !def->enabled || !def->nopass;
  // Rights the upstream gave are not in the local users: they are checked again in time.
  if (upstream_login_) return true;
  std::shared_ptr<const acl::User> mine = users.Find(user_->name);
  if (mine == nullptr) return false;
  user_ = std::move(mine);
  UpdateParserLimits();
  return true;
}

Connection::~Connection() {
  if (tls_) worker_->stats().tls_clients--;
}

size_t Connection::output_bytes() const {
  size_t n = replies_.bytes();
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
    dispatcher_.Execute(args_);
    // Big arguments the command did not keep are freed here.
    promoted_.clear();
    if (NeedsAuth() && output_bytes() > kUnauthenticatedOutputLimit) {
      spdlog::info("closing client id={} addr={}: unauthenticated, with {} bytes of replies unread",
                   id_, addr_, output_bytes());
      Kill();
      break;
    }
    if (replies_.pending() >= kMaxPendingReplies) throttled_ = true;
  }
  dispatcher_.SubmitBatches();
  *consumed = pos;
}

uint64_t Connection::ReserveSlot() {
  ++refs_;
  return replies_.Reserve();
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
  worker_->AfterDurable(
      MakeTask([this, seq, records_from, records_to, reply = std::move(reply)](Worker& w) mutable {
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
  replies_.Complete(seq, std::move(reply));
  if (blocked_ && seq == block_seq_) blocked_ = false;
  if (throttled_ && replies_.pending() <= kResumePendingReplies) throttled_ = false;
  if (stream_open_) worker_->MarkDirty(this);
  Unref();
}

void Connection::Unref() {
  --refs_;
  if (refs_ == 0 && !stream_open_) worker_->ConnectionClosed(this);
}

void Connection::OnWake() {
  if (!stream_open_) return;
  if (dispatcher_.deferred() && refs_ == 0 && !closing_) dispatcher_.RunDeferred();
  if (!closing_ && !close_after_replies_) ProcessBuffered();
  UpdateReading();
  Flush();
}

void Connection::Flush() {
  resp::Output& out = replies_.output();
  if (!stream_open_ || closing_) {
    out.clear();
    return;
  }
  if (!out.empty()) {
    WorkerStats& st = worker_->stats();
    st.net_output_bytes += out.size();
    TlsReactor& r = worker_->reactor();
    size_t pos = 0;
    for (resp::Output::Splice& sp : out.splices) {
      if (sp.at > pos) r.Write(stream_, out.text.substr(pos, sp.at - pos));
      pos = sp.at;
      ++st.bulk.replies_by_reference;
      st.bulk.bytes_by_reference += sp.bytes.bytes.size();
      r.WriteExternal(stream_, sp.bytes.bytes, std::move(sp.bytes.owner));
    }
    if (pos == 0) {
      r.Write(stream_, std::move(out.text));
    } else if (pos < out.text.size()) {
      r.Write(stream_, out.text.substr(pos));
    }
    out.clear();
  }
  if (close_after_replies_ && replies_.pending() == 0) {
    closing_ = true;
    worker_->reactor().Close(stream_, true);
  }
}

void Connection::Kill() {
  if (!stream_open_ || closing_) return;
  closing_ = true;
  worker_->reactor().Close(stream_, false);
}

void Connection::Push(std::string_view message) {
  if (!stream_open_ || closing_) return;
  replies_.output().text += message;
  worker_->MarkDirty(this);
}

void Connection::PushInvalidation(std::span<const std::string> keys, bool flush) {
  if (tracking_.redirect == 0) {
    // Without a redirect only a RESP3 connection can take a push.
    if (proto_ == resp::Protocol::kResp3) Push(InvalidationMessage(proto_, keys, flush));
    return;
  }
  if (tracking_.broken_redirect) return;
  // The redirect target receives it as a RESP3 push; a RESP2 target would have to be
  // subscribed to __redis__:invalidate, and gets nothing otherwise.
  worker_->PushToRedirect(id_, tracking_.redirect, tracking_.redirect_home,
                          InvalidationMessage(resp::Protocol::kResp3, keys, flush));
}

void Connection::RedirectBroke() {
  if (!tracking_.on || tracking_.redirect == 0) return;
  tracking_.broken_redirect = true;
  if (proto_ == resp::Protocol::kResp3) Push(BrokenRedirectMessage(tracking_.redirect));
}

void Connection::OnClosed() {
  stream_open_ = false;
  closing_ = true;
  if (tracking_.on && tracking_.bcast) worker_->ForgetBcastClient(id_);
  dispatcher_.OnClosed();
  // No read can be in flight into a promoted buffer any more.
  DropPromotions();
  if (refs_ == 0) worker_->ConnectionClosed(this);
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

}  // namespace ringside::proxy
