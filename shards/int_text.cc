#include "shards/int_text.h"

#include <cstdint>

namespace ringside::shards {

bool StrictInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative) ++i;
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;
  // Accumulated as a negative number, whose range includes INT64_MIN.
  int64_t acc = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const int digit = s[i] - '0';
    if (__builtin_mul_overflow(acc, 10, &acc) || __builtin_sub_overflow(acc, digit, &acc)) {
      return false;
    }
  }
  if (!negative) {
    if (acc == INT64_MIN) return false;
    acc = -acc;
  }
  *out = acc;
  return true;
}

}  // namespace ringside::shards
