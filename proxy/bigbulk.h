// BigBulk ingest's shared vocabulary: the big arguments that travel with a command, and the
// counters INFO's bigbulk section shows.
//
// A bulk argument of at least bigbulk-threshold bytes whose body is still arriving gets one
// buffer of exactly its size (see Connection); once complete it is SharedBytes, carried with the
// command by position and adopted by the store instead of copied.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "shards/store.h"

namespace ringside::proxy {

using shards::CopyValue;
using shards::kSharedValueMin;

// A completed big argument: args[index] views `bytes`.
struct PromotedArg {
  uint32_t index;
  shards::SharedBytes bytes;
};
using PromotedArgs = std::vector<PromotedArg>;

// Per-worker counters. "Copied" is every byte ringside itself moves with memcpy-like work on
// the way from the socket to the store, so copied / value bytes is the copies per byte.
struct BulkStats {
  uint64_t promotions = 0;            // arguments given their own buffer
  uint64_t promoted_bytes = 0;        // value bytes of promoted arguments fully received
  uint64_t direct_read_switches = 0;  // times a connection switched to direct reads
  uint64_t direct_read_bytes = 0;     // bytes the kernel put straight into value buffers
  uint64_t copied_bytes = 0;          // bytes copied into value buffers by ringside
  uint64_t reallocs = 0;              // input-buffer growths while a promoted argument arrived
  uint64_t cross_shard_handoffs = 0;  // promoted buffers moved to another shard
  uint64_t aborted = 0;               // promoted arguments dropped with their connection
  // The ordinary path: bytes through the connection's input buffer (or parsed in place from
  // the receive buffer), bytes copied on the way (into the input buffer, by its growth and
  // compaction, into cross-shard messages and into stored values), and input-buffer growths.
  uint64_t plain_bytes = 0;
  uint64_t plain_copied_bytes = 0;
  uint64_t plain_reallocs = 0;
  // Egress: big stored values sent from the stored buffer itself instead of a copy.
  uint64_t replies_by_reference = 0;
  uint64_t bytes_by_reference = 0;

  BulkStats& operator+=(const BulkStats& o) {
    promotions += o.promotions;
    promoted_bytes += o.promoted_bytes;
    direct_read_switches += o.direct_read_switches;
    direct_read_bytes += o.direct_read_bytes;
    copied_bytes += o.copied_bytes;
    reallocs += o.reallocs;
    cross_shard_handoffs += o.cross_shard_handoffs;
    aborted += o.aborted;
    plain_bytes += o.plain_bytes;
    plain_copied_bytes += o.plain_copied_bytes;
    plain_reallocs += o.plain_reallocs;
    replies_by_reference += o.replies_by_reference;
    bytes_by_reference += o.bytes_by_reference;
    return *this;
  }
};

}  // namespace ringside::proxy
