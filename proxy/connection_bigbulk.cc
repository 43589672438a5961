// Connection's BigBulk ingest: a big bulk argument still arriving gets a buffer of its own,
// filled by copies out of receive buffers or by direct reads, and handed to its command as a
// PromotedArg (see proxy/bigbulk.h).
#include <algorithm>
#include <cstring>

#include "proxy/connection.h"
#include "proxy/worker.h"

namespace ringside::proxy {

size_t Connection::MaybePromote(std::string_view frame, bool in_inbuf) {
  const int64_t threshold = worker_->config().bigbulk_threshold;
  const resp::Parser::PendingBulk pending = parser_.pending_bulk();
  if (threshold <= 0 || pending.length < threshold || closing_ || close_after_replies_) {
    return frame.size();
  }
  // The parser asked for more, so the body and its CRLF are not all here.
  const size_t size = static_cast<size_t>(pending.length);
  const std::string_view have = frame.substr(pending.offset);
  Promotion p;
  // Left uninitialised: memory becomes resident only as bytes arrive, whatever was announced.
  p.buf = std::make_shared_for_overwrite<char[]>(size);
  p.size = size;
  p.index = static_cast<uint32_t>(pending.index);
  p.filled = std::min(have.size(), size);
  std::memcpy(p.buf.get(), have.data(), p.filled);
  p.trailer = 2 - (have.size() - p.filled);
  BulkStats& st = worker_->stats().bulk;
  ++st.promotions;
  st.copied_bytes += p.filled;
  // The body bytes counted as plain input were not plain after all, nor was their copy into
  // inbuf_ when they went there first.
  st.plain_bytes -= std::min<uint64_t>(st.plain_bytes, have.size());
  if (in_inbuf) {
    st.plain_copied_bytes -= std::min<uint64_t>(st.plain_copied_bytes, have.size());
    st.copied_bytes += have.size();
    // Body bytes from an earlier read (input held back meanwhile) were still in inbuf_ when
    // the last read made it grow: they were moved by a reallocation.
    if (inbuf_grew_ && have.size() > last_append_) ++st.reallocs;
  }
  parser_.SkipPendingBulk(std::string_view(p.buf.get(), size));
  promo_ = std::move(p);
  // A client that sent one big value is likely to send more: read it one buffer at a time so
  // the next value's header is seen before its body has been copied out.
  reads_since_promotion_ = 0;
  if (!single_reads_ && stream_open_) {
    single_reads_ = true;
    worker_->reactor().PreferSingleReads(stream_, true);
  }
  return pending.offset;
}

size_t Connection::FeedPromotion(std::string_view data) {
  Promotion& p = *promo_;
  BulkStats& st = worker_->stats().bulk;
  const size_t body = std::min(data.size(), p.size - p.filled);
  std::memcpy(p.buf.get() + p.filled, data.data(), body);
  p.filled += body;
  st.copied_bytes += body;
  // The two bytes after the body are skipped unchecked, as the ordinary path does.
  const size_t trailer = std::min(data.size() - body, p.trailer);
  p.trailer -= trailer;
  if (p.filled == p.size && p.trailer == 0) {
    st.promoted_bytes += p.size;
    promoted_.push_back(PromotedArg{p.index, shards::SharedBytes{std::move(p.buf), p.size}});
    promo_.reset();
  }
  return body + trailer;
}

void Connection::MaybeRequestDirectRead() {
  if (!promo_ || promo_->direct || closing_ || !stream_open_) return;
  const int64_t min_missing = worker_->config().bigbulk_direct_read;
  if (min_missing <= 0 || promo_->size - promo_->filled < static_cast<size_t>(min_missing)) return;
  promo_->direct = worker_->reactor().RequestDirectRead(stream_);
}

std::span<char> Connection::DirectReadTarget() {
  if (!promo_ || !promo_->direct || closing_ || promo_->filled == promo_->size) return {};
  if (!promo_->switched) {
    promo_->switched = true;
    ++worker_->stats().bulk.direct_read_switches;
  }
  // No read may take the client further past client-query-buffer-limit than one byte, so
  // OnDirectRead sees it cross the limit.
  const size_t limit = static_cast<size_t>(worker_->config().client_query_buffer_limit);
  const size_t held = query_buffer_bytes();
  const size_t room = held > limit ? 1 : limit - held + 1;
  return {promo_->buf.get() + promo_->filled, std::min(promo_->size - promo_->filled, room)};
}

void Connection::OnDirectRead(size_t n) {
  last_interaction_ms_ = worker_->store().NowMs();
  worker_->stats().net_input_bytes += n;
  worker_->stats().bulk.direct_read_bytes += n;
  // Only a body still missing bytes is ever a target, and the read was no longer than that.
  promo_->filled += n;
  KillIfPastQueryBufferLimit();
}

shards::SharedBytes* Connection::PromotedAt(size_t i) {
  for (PromotedArg& p : promoted_) {
    if (p.index == i && p.bytes.data != nullptr) return &p.bytes;
  }
  return nullptr;
}

void Connection::DropPromotions() {
  BulkStats& st = worker_->stats().bulk;
  st.aborted += promoted_.size() + (promo_ ? 1 : 0);
  promoted_.clear();
  promo_.reset();
}

}  // namespace ringside::proxy
