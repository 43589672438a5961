// Argument parsing shared by command handlers, with Redis's exact acceptance rules, and the
// error texts that go with them. Pure functions: no replies are written here.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ringside::proxy {

inline constexpr std::string_view kErrNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kErrNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kErrSyntax = "ERR syntax error";
inline constexpr std::string_view kErrWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kErrOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kErrNanOrInf = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kErrStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

// What HRANDFIELD and SRANDMEMBER say of a count below -INT64_MAX.
inline constexpr std::string_view kErrCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
// The most members HRANDFIELD and SRANDMEMBER pick with repetition (a negative count).
inline constexpr int64_t kMaxRandomPicks = 100'000'000;

// "ERR invalid expire time in '<name>' command".
std::string InvalidExpireError(std::string_view lower_name);

// A signed 64-bit decimal as Redis accepts it: optional '-', no '+', no spaces, no leading
// zeros (so "-0" and "01" are rejected), no overflow, at most 20 characters.
bool ParseInt64(std::string_view s, int64_t* out);

// A long double as Redis accepts it: what strtold takes (including hex and "inf", but not
// "nan"), with no leading space, nothing left over, and no overflow or underflow to zero.
bool ParseLongDouble(std::string_view s, long double* out);

// Redis's human-friendly long double text (INCRBYFLOAT): fixed notation with 17 decimals,
// trailing zeros and a trailing '.' removed, and "-0" written as "0".
std::string FormatLongDouble(long double v);

// A SCAN cursor as Redis reads one (strtoul): a sign is accepted ("-1" is the largest cursor),
// a leading space is not, and the text ends at the first NUL byte.
bool ParseScanCursor(std::string_view s, uint64_t* v);

// The options of HSCAN, SSCAN and ZSCAN from args[from] on: MATCH's pattern into *pattern
// (left as it is when there is none), COUNT checked (positive) and otherwise ignored, since
// ringside answers these scans in one reply. Returns the error text, empty when none.
std::string_view ParseCollectionScanArgs(std::span<const std::string_view> args, size_t from,
                                         std::string_view* pattern);

// Case-insensitive ASCII comparison with a lower-case literal.
bool EqualsNoCase(std::string_view a, std::string_view lower);

// The command name in lower case, for error messages.
std::string LowerName(std::string_view name);

// A client name (CLIENT SETNAME, HELLO SETNAME) or library name or version (CLIENT SETINFO):
// printable ASCII without spaces, as Redis allows.
bool ValidClientName(std::string_view name);

}  // namespace ringside::proxy
