// Integers written as text, the way Redis reads them (string2ll): the test a value passes to
// be stored as an integer, and the one commands apply to integer arguments.
#pragma once

#include <cstdint>
#include <string_view>

namespace ringside::shards {

// Whether `s` is a 64-bit integer with no sign but '-', no leading zero and not "-0", with its
// value in *out.
bool StrictInt64(std::string_view s, int64_t* out);

}  // namespace ringside::shards
