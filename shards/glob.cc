// Glob matching with the semantics of Redis's stringmatchlen, written as an iterative matcher:
// every token other than '*' consumes exactly one character, so on a mismatch it is enough to
// retry from the most recent '*' one character further on. That keeps the worst case at
// O(pattern * string) instead of the exponential recursion a naive matcher has.
#include <cctype>

#include "shards/store.h"

namespace ringside::shards {

namespace {

char Fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Matches the single-character token at pattern[p] (anything but '*') against `c`. Sets
// `*next` to the position after the token.
bool MatchToken(std::string_view pattern, size_t p, char c, bool nocase, size_t* next) {
  const size_t n = pattern.size();
  switch (pattern[p]) {
    case '?':
      *next = p + 1;
      return true;
    case '[': {
      size_t i = p + 1;
      const bool negate = i < n && pattern[i] == '^';
      if (negate) ++i;
      bool hit = false;
      while (true) {
        if (i >= n) {  // an unterminated class ends with the pattern
          break;
        }
        if (pattern[i] == '\\' && i + 1 < n) {
          // An escaped character inside a class is compared exactly, even with nocase.
          if (pattern[i + 1] == c) hit = true;
          i += 2;
        } else if (pattern[i] == ']') {
          ++i;
          break;
        } else if (i + 2 < n && pattern[i + 1] == '-') {
          char lo = Fold(pattern[i], nocase);
          char hi = Fold(pattern[i + 2], nocase);
          if (static_cast<unsigned char>(lo) > static_cast<unsigned char>(hi)) std::swap(lo, hi);
          const auto x = static_cast<unsigned char>(Fold(c, nocase));
          if (x >= static_cast<unsigned char>(lo) && x <= static_cast<unsigned char>(hi)) {
            hit = true;
          }
          i += 3;
        } else {
          if (Fold(pattern[i], nocase) == Fold(c, nocase)) hit = true;
          ++i;
        }
      }
      *next = i;
      return negate ? !hit : hit;
    }
    case '\\':
      if (p + 1 < n) {
        *next = p + 2;
        return Fold(pattern[p + 1], nocase) == Fold(c, nocase);
      }
      [[fallthrough]];
    default:
      *next = p + 1;
      return Fold(pattern[p], nocase) == Fold(c, nocase);
  }
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  // Redis never matches an empty string against a non-empty pattern (not even "*"); callers
  // that want "*" to mean "everything" short-circuit it themselves, as Redis does.
  if (str.empty()) return pattern.empty();
  size_t p = 0, s = 0;
  size_t star_p = std::string_view::npos;  // pattern position just after the last '*'
  size_t star_s = 0;                       // string position that '*' is currently matched up to
  while (s < str.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;
      star_p = p;
      star_s = s;
      continue;
    }
    size_t next = 0;
    if (p < pattern.size() && MatchToken(pattern, p, str[s], nocase, &next)) {
      p = next;
      ++s;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    s = ++star_s;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace ringside::shards
