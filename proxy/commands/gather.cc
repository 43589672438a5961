#include "proxy/commands/gather.h"

namespace ringside::proxy {

std::string ErrorReply(std::string_view msg) {
  std::string r;
  resp::Writer(&r).Error(msg);
  return r;
}

std::string IntReply(int64_t v) {
  std::string r;
  resp::Writer(&r).Integer(v);
  return r;
}

void CompleteAfterDurable(Worker& at, const ReplyTo& to, std::string reply, uint64_t from) {
  const uint64_t until = at.RecordMark();
  at.AfterDurable(MakeTask([to, from, until, reply = std::move(reply)](Worker& w) mutable {
    std::string refused;
    if (w.SyncRefused(from, until, &refused)) {
      reply.clear();
      resp::Writer(&reply).Error(refused);
    }
    // Owns the reply; `to.conn` is dereferenced only on `home`.
    w.Submit(to.home, MakeTask([to, reply = std::move(reply)](Worker&) mutable {
               to.conn->Complete(to.seq, std::move(reply));
             }));
  }));
}

void CompleteWithError(CommandContext& ctx, std::string_view error) {
  ctx.conn->Complete(ctx.seq, ErrorReply(error));
}

}  // namespace ringside::proxy
