// One client connection: the client's side of the socket. Owned by the worker whose reactor
// accepted it and touched only on that worker's thread. It takes bytes in, parses them
// (BigBulk arguments into buffers of their own, connection_bigbulk.cc), hands each command to
// its Dispatcher, and sends the replies its ReplyQueue releases in request order. It keeps the
// client's metadata (name, database, times) and its back-pressure state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/acl/user.h"
#include "proxy/dispatcher.h"
#include "proxy/io/client_socket.h"
#include "proxy/io/reactor.h"
#include "proxy/owned_args.h"
#include "proxy/reply_queue.h"
#include "proxy/tracking.h"
#include "resp/parser.h"
#include "resp/writer.h"

namespace ringside::proxy {

class Worker;

class Connection final : public StreamHandler {
 public:
  Connection(Worker* worker, int fd, uint64_t id, PeerInfo peer);
  ~Connection() override;

  // StreamHandler
  void OnRead(std::string_view data) override;
  void OnClosed() override;
  std::span<char> DirectReadTarget() override;
  void OnDirectRead(size_t n) override;
  void OnTlsError(const std::string& why) override;

  uint64_t id() const { return id_; }
  int db() const { return db_; }
  void set_db(int db) { db_ = db; }
  // The ACL user the client acts as (its snapshot as of the last change to the users), and
  // whether it authenticated (or needed not: the default user had no password when it came).
  const acl::User& user() const { return *user_; }
  bool authenticated() const { return authenticated_; }
  // After AUTH or HELLO AUTH succeeded, or RESET (back to the default user).
  void set_user(std::shared_ptr<const acl::User> user, bool authenticated);
  // auth-mode upstream: the upstream accepted `login` for this client, with `rights`, until
  // `recheck_ms`; past then its next command waits for the upstream to check it again.
  struct UpstreamLogin {
    std::string user, password;
    int64_t recheck_ms = 0;
  };
  void LogInUpstream(std::shared_ptr<const acl::User> rights, UpstreamLogin login);
  const std::optional<UpstreamLogin>& upstream_login() const { return upstream_login_; }
  // Brings the user's snapshot up to date after a change to the users. False when the user
  // was deleted: the client is then closed, as ACL DELUSER closes its clients.
  bool RefreshUser();
  // The command may not run until the client authenticates.
  bool NeedsAuth() const { return !authenticated_ && default_needs_auth_; }
  // The protocol HELLO chose; every reply to this client is encoded in it.
  resp::Protocol protocol() const { return proto_; }
  void set_protocol(resp::Protocol p) { proto_ = p; }
  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }
  // CLIENT SETINFO.
  const std::string& lib_name() const { return lib_name_; }
  const std::string& lib_ver() const { return lib_ver_; }
  void set_lib_name(std::string n) { lib_name_ = std::move(n); }
  void set_lib_ver(std::string v) { lib_ver_ = std::move(v); }
  // CLIENT NO-EVICT and NO-TOUCH (flags only: clients are not evicted here, and NO-TOUCH
  // reads still count as uses of their keys).
  bool no_evict() const { return no_evict_; }
  void set_no_evict(bool on) { no_evict_ = on; }
  bool no_touch() const { return no_touch_; }
  void set_no_touch(bool on) { no_touch_ = on; }
  // CLIENT REPLY: kOff drops every reply, kSkip the next command's.
  enum class ReplyMode : uint8_t { kOn, kOff, kSkip };
  // Turning replies back on answers the command doing it.
  void set_reply_mode(ReplyMode m) {
    reply_mode_ = m;
    if (m == ReplyMode::kOn) replies_.KeepCurrentReplies();
  }
  // Around each command: under CLIENT REPLY OFF, or after SKIP, its replies are dropped.
  void BeginCommand() {
    if (reply_mode_ == ReplyMode::kOn) return;
    if (reply_mode_ == ReplyMode::kSkip) reply_mode_ = ReplyMode::kOn;
    replies_.BeginDiscarding();
  }
  void EndCommand() { replies_.EndDiscarding(); }

  // MONITOR: every command the server receives is shown to this client.
  bool monitoring() const { return monitoring_; }
  void set_monitoring(bool on) { monitoring_ = on; }

  // CLIENT TRACKING state, changed by CLIENT TRACKING and CACHING only.
  ClientTracking& tracking() { return tracking_; }
  const ClientTracking& tracking() const { return tracking_; }
  // Sends `message` now, ahead of replies still being waited for (a push message, which
  // clients take between any two replies), even under CLIENT REPLY OFF.
  void Push(std::string_view message);
  // Tells this client (or the client it redirects to) that `keys` changed, or with `flush`
  // that everything did.
  void PushInvalidation(std::span<const std::string> keys, bool flush);
  // The client it redirects invalidations to is gone.
  void RedirectBroke();

  const std::string& addr() const { return addr_; }
  const std::string& laddr() const { return laddr_; }
  bool unix_socket() const { return unix_socket_; }
  bool tls() const { return tls_; }
  const std::string& last_cmd() const { return last_cmd_; }
  void set_last_cmd(std::string c) { last_cmd_ = std::move(c); }
  int64_t created_ms() const { return created_ms_; }
  int64_t last_interaction_ms() const { return last_interaction_ms_; }
  // Received input not yet executed: the input buffer plus BigBulk buffers being filled.
  size_t query_buffer_bytes() const;
  size_t output_bytes() const;

  // Reserves the next reply slot for a reply that will arrive later (kAsync or cross-shard).
  // Holds a reference on the connection until Complete() is called for it.
  uint64_t ReserveSlot();
  // Fills a reserved slot; replies leave in slot order. Safe after the client has gone.
  void Complete(uint64_t seq, std::string reply);
  void Complete(uint64_t seq, resp::Output reply);
  // Where a synchronous reply goes: straight to the output when nothing is pending before it.
  resp::Output* SyncReplyTarget() { return replies_.SyncTarget(); }
  // A reply made on this connection's own shard: sent in turn, but with appendfsync always not
  // before every record the shard made so far is durable.
  // `records_from`: the last record id before the command ran (Worker::RecordMark), so that
  // under upstream-write-policy sync an upstream refusing its records makes the reply an error.
  void ReplyWhenDurable(resp::Output reply, uint64_t records_from);
  // Sends +OK-style final reply then closes once everything before it is out (QUIT).
  void CloseAfterReplies() { close_after_replies_ = true; }
  // Closes now, dropping unsent replies (CLIENT KILL).
  void Kill();
  // Holds back parsing of further commands until slot `seq` completes, for commands whose
  // effects travel between shards in several hops (a later command must not overtake them).
  void BlockUntil(uint64_t seq);
  // Called by the worker after replies arrived: resumes parsing held-back input and flushes.
  void OnWake();
  // Hands accumulated replies to the reactor.
  void Flush();
  bool Idle() const { return replies_.empty(); }
  // The stream is still open (OnClosed has not come), and not being closed.
  bool open() const { return stream_open_; }
  bool closing() const { return closing_; }
  // Reserved slots not completed yet: replies (and references) still outstanding.
  int outstanding() const { return refs_; }
  // Listed in the worker's list of connections with replies to send (Worker::MarkDirty).
  bool dirty() const { return dirty_; }
  void set_dirty(bool dirty) { dirty_ = dirty; }

  // The big arguments of the command being executed (BigBulk), for handlers that adopt them.
  PromotedArgs* promoted() { return &promoted_; }
  // Adds args[i] of the command being executed to a task's arguments: a big argument by
  // reference (returns true), anything else copied.
  bool AddArg(std::span<std::string_view> args, size_t i, OwnedArgs* out);

 private:
  void Process(std::string_view data, size_t* consumed);
  void ProcessBuffered();
  // Keeps input the parser has not consumed: after `frame` (the bytes of the command being
  // parsed so far, already in inbuf_ or about to be) either all of it goes to inbuf_, or, when
  // the parser waits for a big bulk body, the body's bytes go to a buffer of its own.
  void Stash(std::string_view rest);
  // inbuf_ += data, counting the copy and any growth.
  void AppendInput(std::string_view data);
  // BigBulk ingest (connection_bigbulk.cc).
  // Gives the pending bulk of the frame at the start of `frame` its own buffer when
  // it qualifies, copying the body bytes `frame` already holds. Returns how many bytes of
  // `frame` remain part of inbuf_'s frame (all of them when nothing was promoted). `in_inbuf`:
  // `frame` is inbuf_ itself, so its body bytes were already copied once.
  size_t MaybePromote(std::string_view frame, bool in_inbuf);
  // Feeds received bytes to the argument being promoted; returns how many it took.
  size_t FeedPromotion(std::string_view data);
  void MaybeRequestDirectRead();
  // The big argument at position `i` of the command being executed, or nullptr.
  shards::SharedBytes* PromotedAt(size_t i);
  void DropPromotions();
  // Closes the client when it holds more unexecuted input than client-query-buffer-limit.
  bool KillIfPastQueryBufferLimit();
  // The parser's limits follow the configuration and whether the client authenticated.
  void UpdateParserLimits();
  // Parsing is held back (a multi-hop command in flight, or too many replies outstanding).
  bool Held() const { return blocked_ || throttled_ || dispatcher_.deferred(); }
  void UpdateReading();
  void Unref();

  Worker* worker_;
  StreamId stream_ = 0;
  uint64_t id_;
  std::string addr_, laddr_, name_, last_cmd_, lib_name_, lib_ver_;
  bool unix_socket_ = false;
  bool tls_ = false;  // on tls-port
  bool no_evict_ = false;
  bool no_touch_ = false;
  bool monitoring_ = false;
  ReplyMode reply_mode_ = ReplyMode::kOn;
  ClientTracking tracking_;
  int db_ = 0;
  resp::Protocol proto_ = resp::Protocol::kResp2;
  std::shared_ptr<const acl::User> user_;
  uint64_t users_generation_ = 0;
  bool authenticated_ = false;
  bool default_needs_auth_ = false;
  std::optional<UpstreamLogin> upstream_login_;
  int64_t created_ms_;
  int64_t last_interaction_ms_;

  resp::Parser parser_;
  std::string inbuf_;
  std::vector<std::string_view> args_;

  // BigBulk: the argument being received into its own buffer.
  struct Promotion {
    std::shared_ptr<char[]> buf;
    size_t size = 0;        // announced length: the buffer's size
    size_t filled = 0;      // body bytes received
    size_t trailer = 2;     // bytes after the body (CRLF) still to skip
    uint32_t index = 0;     // position in the command
    bool direct = false;    // direct reads were requested for it
    bool switched = false;  // and the reactor switched to them
  };
  std::optional<Promotion> promo_;
  // Completed big arguments of the command being parsed; handed to the command that uses them.
  PromotedArgs promoted_;
  bool inbuf_grew_ = false;    // the last AppendInput reallocated inbuf_
  size_t last_append_ = 0;     // bytes the last AppendInput added
  bool single_reads_ = false;  // the reactor reads one buffer at a time for this connection
  uint32_t reads_since_promotion_ = 0;

  ReplyQueue replies_;
  Dispatcher dispatcher_;

  int refs_ = 0;  // reserved slots not yet completed
  bool stream_open_ = true;
  bool close_after_replies_ = false;
  bool closing_ = false;
  bool dirty_ = false;  // listed in the worker's dirty list
  // Back-pressure: too many replies outstanding, so parsing stops; and with held-back input
  // piling up, reading from the socket stops too.
  bool throttled_ = false;
  bool reading_paused_ = false;
  bool blocked_ = false;
  uint64_t block_seq_ = 0;
};

}  // namespace ringside::proxy
