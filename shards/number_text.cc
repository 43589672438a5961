#include "shards/number_text.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace ringside::shards {

namespace {

// Longer text is refused before copying it for strtold.
constexpr size_t kMaxLongDoubleChars = 5 * 1024;

}  // namespace

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

bool ParseLongDouble(std::string_view s, long double* out) {
  // The whole argument must be the number, so an embedded NUL byte makes it invalid.
  if (s.empty() || s.size() >= kMaxLongDoubleChars || s.find('\0') != s.npos) return false;
  char buf[kMaxLongDoubleChars];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (std::isspace(static_cast<unsigned char>(buf[0]))) return false;
  errno = 0;
  char* end = nullptr;
  const long double v = std::strtold(buf, &end);
  if (end == buf || *end != '\0') return false;
  if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0.0L)) return false;
  if (std::isnan(v)) return false;
  *out = v;
  return true;
}

std::string FormatLongDouble(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // The widest finite long double needs ~4950 integer digits plus 18 for the fraction.
  std::vector<char> buf(kMaxLongDoubleChars + 32);
  int len = std::snprintf(buf.data(), buf.size(), "%.17Lf", v);
  if (len < 0 || static_cast<size_t>(len) >= buf.size()) return std::string();
  std::string_view text(buf.data(), static_cast<size_t>(len));
  if (text.find('.') != std::string_view::npos) {
    while (text.back() == '0') text.remove_suffix(1);
    if (text.back() == '.') text.remove_suffix(1);
  }
  if (text == "-0") return "0";
  return std::string(text);
}

}  // namespace ringside::shards
