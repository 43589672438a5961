// Numbers written as text, the way Redis reads and writes them: integers as string2ll reads
// them (the test a value passes to be stored as an integer, and the one commands apply to
// integer arguments), and long doubles as INCRBYFLOAT and HINCRBYFLOAT read and write them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringside::shards {

// Whether `s` is a 64-bit integer with no sign but '-', no leading zero and not "-0", with its
// value in *out.
bool StrictInt64(std::string_view s, int64_t* out);

// A long double as Redis accepts it: what strtold takes (including hex and "inf", but not
// "nan"), with no leading space, nothing left over, and no overflow or underflow to zero.
bool ParseLongDouble(std::string_view s, long double* out);

// Redis's human-friendly long double text: fixed notation with 17 decimals, trailing zeros and
// a trailing '.' removed, and "-0" written as "0".
std::string FormatLongDouble(long double v);

}  // namespace ringside::shards
