// Finds where a reply ends in bytes a server sent, RESP2 or RESP3 (maps, sets, pushes,
// attributes, doubles, blob errors, verbatim strings, ...), without decoding it, so that
// replies can be passed on byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringside::resp {

enum class ScanStatus { kComplete, kNeedMore, kMalformed };

struct ReplyScan {
  ScanStatus status;
  size_t length = 0;  // kComplete: the bytes of the first reply
};

// The first reply in `buf`. An attribute (|) counts as part of the reply it precedes.
ReplyScan ScanReply(std::string_view buf);

// A whole RESP2 reply as a RESP3 client gets it from redis-server, for replies whose only
// difference between the protocols is the null ($-1 and *-1 become _): the replies of string
// and key commands, KEYS, SCAN, DBSIZE, RANDOMKEY. Bytes that do not scan are left as they are.
std::string Resp2NullsToResp3(std::string_view reply);

// What else tells a command's RESP3 reply from its RESP2 one, at the top level.
enum class Resp3Shape : uint8_t {
  kNullsOnly,  // nothing but the nulls
  kMap,        // an array of 2N values is a map of N pairs (HGETALL)
  kSet,        // an array is a set (SMEMBERS, SPOP with a count)
  kPairs,      // an array of 2N values is an array of N two-element arrays (HRANDFIELD ...
               // WITHVALUES)
};

// Resp2NullsToResp3, with the top-level array reshaped as `shape` says. A reply that is not
// an array (an error, a null, a bulk), or an array that does not fit the shape, is
// reshaped no further.
std::string Resp2ToResp3(std::string_view reply, Resp3Shape shape);

}  // namespace ringside::resp
