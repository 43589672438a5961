// A connection's replies in request order. A reply made at once goes straight to the output
// when nothing is pending before it; a reply that comes later (from another shard, after an
// fsync, from the upstream) has a slot reserved in its place, and the output takes each slot
// once it and every slot before it are filled. Replies are values (resp::Output) until the
// connection hands them to the reactor.
//
// Owned by its connection, on the connection's thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>

#include "resp/writer.h"

namespace ringside::proxy {

class ReplyQueue {
 public:
  // Where a reply made now goes: the output, or a filled slot behind the pending ones.
  resp::Output* SyncTarget() {
    if (discarding_) {
      dropped_.clear();
      return &dropped_;
    }
    if (slots_.empty()) return &out_;
    slots_.push_back(Slot{true, false, {}});
    return &slots_.back().data;
  }
  // Reserves the next slot; its sequence number is what Complete takes.
  uint64_t Reserve() {
    slots_.push_back(Slot{false, discarding_, {}});
    return first_seq_ + slots_.size() - 1;
  }
  // Fills slot `seq`; the slots now complete from the front move to the output.
  void Complete(uint64_t seq, resp::Output reply) {
    Slot& slot = slots_[seq - first_seq_];
    slot.ready = true;
    if (!slot.discard) slot.data = std::move(reply);
    while (!slots_.empty() && slots_.front().ready) {
      out_.Append(std::move(slots_.front().data));
      slots_.pop_front();
      ++first_seq_;
    }
  }
  // CLIENT REPLY OFF or SKIP: the replies of the command being run are dropped, those it
  // makes now and those its reserved slots get later.
  void BeginDiscarding() {
    discarding_ = true;
    discard_from_ = first_seq_ + slots_.size();
  }
  void EndDiscarding() { discarding_ = false; }
  // CLIENT REPLY ON: the command being run is answered after all.
  void KeepCurrentReplies() {
    if (!discarding_) return;
    discarding_ = false;
    for (uint64_t seq = std::max(discard_from_, first_seq_); seq < first_seq_ + slots_.size();
         ++seq) {
      slots_[seq - first_seq_].discard = false;
    }
  }
  // Replies ready to send, in order; the connection empties it.
  resp::Output& output() { return out_; }
  // Slots not yet sent (reserved or behind a reserved one).
  size_t pending() const { return slots_.size(); }
  bool empty() const { return slots_.empty() && out_.empty(); }
  size_t bytes() const {
    size_t n = out_.size();
    for (const Slot& s : slots_) n += s.data.size();
    return n;
  }

 private:
  struct Slot {
    bool ready = false;
    bool discard = false;  // its reply is dropped when it comes
    resp::Output data;
  };
  std::deque<Slot> slots_;  // oldest first
  uint64_t first_seq_ = 0;
  resp::Output out_;
  bool discarding_ = false;
  uint64_t discard_from_ = 0;
  resp::Output dropped_;  // where a dropped synchronous reply is written
};

}  // namespace ringside::proxy
