#include "resp/parser.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

namespace ringside::resp {

namespace {

constexpr std::string_view kInvalidMultibulkLength = "ERR Protocol error: invalid multibulk length";
constexpr std::string_view kTooBigMultibulkCount = "ERR Protocol error: too big mbulk count string";
constexpr std::string_view kInvalidBulkLength = "ERR Protocol error: invalid bulk length";
constexpr std::string_view kUnauthenticatedMultibulk =
    "ERR Protocol error: unauthenticated multibulk length";
constexpr std::string_view kUnauthenticatedBulk = "ERR Protocol error: unauthenticated bulk length";
constexpr std::string_view kTooBigBulkCount = "ERR Protocol error: too big bulk count string";
constexpr std::string_view kTooBigInline = "ERR Protocol error: too big inline request";
constexpr std::string_view kUnbalancedQuotes = "ERR Protocol error: unbalanced quotes in request";

// Small first growth for a multibulk's argument vector; the rest grows as bulks arrive.
constexpr int64_t kArgsReserveCap = 1024;

// Decimal integer with the same grammar as Redis's string2ll: an optional '-', no '+', no
// leading zeros (so "-0" is rejected), at most 20 characters, within int64_t.
bool ParseInt(const char* s, size_t len, int64_t* out) {
  if (len == 0 || len > 20) return false;
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative) {
    if (len == 1) return false;
    i = 1;
  }
  if (s[i] == '0') {
    if (len != 1) return false;
    *out = 0;
    return true;
  }
  uint64_t v = 0;
  for (; i < len; ++i) {
    const unsigned digit = static_cast<unsigned char>(s[i]) - unsigned{'0'};
    if (digit > 9) return false;
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (negative) {
    if (v > kMax + 1) return false;
    *out = static_cast<int64_t>(0 - v);  // two's complement; exact for -2^63
  } else {
    if (v > kMax) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// Byte classes for splitting inline lines.
enum : uint8_t {
  kSpace = 1,    // C-locale isspace: may surround words
  kWordEnd = 2,  // ends an unquoted word (vertical tab and form feed do not, as in Redis)
  kQuote = 4,
};

constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned char c : {' ', '\t', '\n', '\r'}) t[c] = kSpace | kWordEnd;
  for (unsigned char c : {'\v', '\f'}) t[c] = kSpace;
  for (unsigned char c : {'"', '\''}) t[c] = kQuote;
  return t;
}();

bool IsSpace(char c) { return kByteClass[static_cast<unsigned char>(c)] & kSpace; }

// Reads the common header "<type><digits>\r" plus the byte after '\r' at `pos`, with at most
// 18 digits so that no overflow check is needed. Returns false for anything else, which the
// general path then judges; true results agree with it.
bool ReadShortHeader(const char* p, size_t pos, size_t n, size_t max_line, int64_t* value,
                     size_t* cr) {
  size_t i = pos + 1;
  const size_t stop = std::min(n, pos + 19);
  uint64_t v = 0;
  while (i < stop) {
    const unsigned digit = static_cast<unsigned char>(p[i]) - unsigned{'0'};
    if (digit > 9) break;
    v = v * 10 + digit;
    ++i;
  }
  const size_t digits = i - pos - 1;
  if (digits == 0 || i + 1 >= n || p[i] != '\r') return false;
  if (digits > 1 && p[pos + 1] == '0') return false;
  if (i - pos > max_line) return false;
  *value = static_cast<int64_t>(v);
  *cr = i;
  return true;
}

ParseResult NeedMore() { return {ParseStatus::kNeedMore, 0, {}}; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Parser::Parser(const Limits& limits) : limits_(limits) {}

void Parser::Reset() {
  state_ = State::kFrameStart;
  pos_ = 0;
  scan_ = 0;
  args_left_ = 0;
  bulk_len_ = 0;
  saved_.clear();
  error_ = {};
}

Parser::PendingBulk Parser::pending_bulk() const {
  if (state_ != State::kBulkBody) return {};
  return {pos_, bulk_len_, saved_.size()};
}

void Parser::SkipPendingBulk(std::string_view body) {
  saved_.push_back({pos_, body.size(), body.data()});
  state_ = --args_left_ == 0 ? State::kFrameEnd : State::kBulkHeader;
}

// Looks for `terminator` in the line starting at pos_, resuming where the last call stopped.
// The terminator must lie within max_inline bytes of the line's first byte.
Parser::LineScan Parser::FindLineEnd(std::string_view data, char terminator, size_t* end) {
  const size_t n = data.size();
  const size_t room = limits_.max_inline;
  const size_t limit = room >= n - pos_ ? n : pos_ + room + 1;
  const size_t from = std::max(scan_, pos_);
  if (from < limit) {
    const void* hit = std::memchr(data.data() + from, terminator, limit - from);
    if (hit != nullptr) {
      *end = static_cast<const char*>(hit) - data.data();
      scan_ = *end;
      return LineScan::kFound;
    }
  }
  scan_ = std::max(from, limit);
  return n - pos_ > room ? LineScan::kTooLong : LineScan::kNeedMore;
}

ParseResult Parser::Parse(std::string_view data, std::vector<std::string_view>* args) {
  args->clear();
  const char* p = data.data();
  const size_t n = data.size();

  switch (state_) {
    case State::kError:
      return {ParseStatus::kError, 0, error_};
    case State::kInline:
      return ParseInline(data, args);
    case State::kFrameStart:
      if (n == 0) return NeedMore();
      pos_ = 0;
      scan_ = 0;
      if (p[0] != '*') {
        state_ = State::kInline;
        return ParseInline(data, args);
      }
      state_ = State::kCount;
      [[fallthrough]];
    case State::kCount: {
      size_t cr;
      int64_t count;
      if (!ReadShortHeader(p, 0, n, limits_.max_inline, &count, &cr)) {
        const LineScan scan = FindLineEnd(data, '\r', &cr);
        if (scan == LineScan::kTooLong) return Fail(kTooBigMultibulkCount, args);
        // The byte after '\r' must be here too; it is skipped unchecked.
        if (scan == LineScan::kNeedMore || cr + 1 >= n) return NeedMore();
        if (!ParseInt(p + 1, cr - 1, &count)) return Fail(kInvalidMultibulkLength, args);
      }
      if (count > limits_.max_args) return Fail(kInvalidMultibulkLength, args);
      if (limits_.unauthenticated && count > kUnauthenticatedMaxArgs) {
        return Fail(kUnauthenticatedMultibulk, args);
      }
      pos_ = cr + 2;
      if (count <= 0) return Complete(pos_, data, args);
      args_left_ = count;
      state_ = State::kBulkHeader;
      args->reserve(static_cast<size_t>(std::min(count, kArgsReserveCap)));
      break;
    }
    case State::kFrameEnd:
      return Complete(pos_, data, args);
    case State::kBulkHeader:
    case State::kBulkBody:
      break;
  }

  while (true) {
    if (state_ == State::kBulkHeader) {
      size_t cr;
      int64_t len;
      if (pos_ >= n || p[pos_] != '$' ||
          !ReadShortHeader(p, pos_, n, limits_.max_inline, &len, &cr)) {
        const LineScan scan = FindLineEnd(data, '\r', &cr);
        if (scan == LineScan::kTooLong) return Fail(kTooBigBulkCount, args);
        if (scan == LineScan::kNeedMore || cr + 1 >= n) return Suspend(data, args);
        if (p[pos_] != '$') return FailExpectedDollar(p[pos_], args);
        if (!ParseInt(p + pos_ + 1, cr - pos_ - 1, &len) || len < 0) {
          return Fail(kInvalidBulkLength, args);
        }
      }
      if (len > limits_.max_bulk_len) return Fail(kInvalidBulkLength, args);
      if (limits_.unauthenticated && len > kUnauthenticatedMaxBulk) {
        return Fail(kUnauthenticatedBulk, args);
      }
      bulk_len_ = len;
      pos_ = cr + 2;
      state_ = State::kBulkBody;
    }
    // The body and the two bytes after it (meant to be CRLF, skipped unchecked like Redis).
    const size_t avail = n - pos_;
    if (avail < 2 || avail - 2 < static_cast<uint64_t>(bulk_len_)) return Suspend(data, args);
    args->emplace_back(p + pos_, static_cast<size_t>(bulk_len_));
    pos_ += static_cast<size_t>(bulk_len_) + 2;
    if (--args_left_ == 0) return Complete(pos_, data, args);
    state_ = State::kBulkHeader;
  }
}

ParseResult Parser::ParseInline(std::string_view data, std::vector<std::string_view>* args) {
  size_t newline;
  switch (FindLineEnd(data, '\n', &newline)) {
    case LineScan::kTooLong:
      return Fail(kTooBigInline, args);
    case LineScan::kNeedMore:
      return NeedMore();
    case LineScan::kFound:
      break;
  }
  size_t end = newline;
  if (end > 0 && data[end - 1] == '\r') --end;
  if (!SplitInline(data.data(), end, args)) return Fail(kUnbalancedQuotes, args);
  return Complete(newline + 1, data, args);
}

// Splits one inline line into words. Unquoted words are views of `line`; a word with quotes
// is rewritten into unquoted_, which is sized once per line before the first such word, so
// earlier views into it stay valid. Returns false on unbalanced quotes.
bool Parser::SplitInline(const char* line, size_t length, std::vector<std::string_view>* args) {
  size_t i = 0;
  size_t out = 0;  // write position in unquoted_
  bool buffer_ready = false;
  while (true) {
    while (i < length && IsSpace(line[i])) ++i;
    if (i == length) return true;

    const size_t start = i;
    bool rewritten = false;
    size_t out_start = 0;
    char quote = 0;
    while (true) {
      if (quote == 0) {
        if (!rewritten) {
          while (i < length &&
                 !(kByteClass[static_cast<unsigned char>(line[i])] & (kWordEnd | kQuote))) {
            ++i;
          }
        }
        if (i == length || (kByteClass[static_cast<unsigned char>(line[i])] & kWordEnd)) break;
        const char c = line[i];
        if (c == '"' || c == '\'') {
          if (!rewritten) {
            if (!buffer_ready) {
              // Unquoting never lengthens the text, so one line's worth always suffices.
              if (unquoted_.size() < length) unquoted_.resize(length);
              buffer_ready = true;
            }
            out_start = out;
            std::memcpy(unquoted_.data() + out, line + start, i - start);
            out += i - start;
            rewritten = true;
          }
          quote = c;
        } else if (rewritten) {
          unquoted_[out++] = c;
        }
        ++i;
        continue;
      }

      if (i == length) return false;  // unterminated quotes
      const char c = line[i];
      if (c == quote) {
        // A closing quote must end the word.
        if (i + 1 < length && !IsSpace(line[i + 1])) return false;
        ++i;
        break;
      }
      if (quote == '\'') {
        if (c == '\\' && i + 1 < length && line[i + 1] == '\'') {
          unquoted_[out++] = '\'';
          i += 2;
        } else {
          unquoted_[out++] = c;
          ++i;
        }
        continue;
      }
      if (c == '\\' && i + 3 < length && line[i + 1] == 'x') {
        const int hi = HexValue(line[i + 2]);
        const int lo = HexValue(line[i + 3]);
        if (hi >= 0 && lo >= 0) {
          unquoted_[out++] = static_cast<char>(hi * 16 + lo);
          i += 4;
          continue;
        }
      }
      if (c == '\\' && i + 1 < length) {
        char e = line[i + 1];
        switch (e) {
          case 'n':
            e = '\n';
            break;
          case 'r':
            e = '\r';
            break;
          case 't':
            e = '\t';
            break;
          case 'b':
            e = '\b';
            break;
          case 'a':
            e = '\a';
            break;
          default:
            break;
        }
        unquoted_[out++] = e;
        i += 2;
        continue;
      }
      unquoted_[out++] = c;
      ++i;
    }

    if (rewritten) {
      args->emplace_back(unquoted_.data() + out_start, out - out_start);
    } else {
      args->emplace_back(line + start, i - start);
    }
  }
}

ParseResult Parser::Complete(size_t consumed, std::string_view data,
                             std::vector<std::string_view>* args) {
  if (!saved_.empty()) {
    // Arguments from earlier calls go first; each is turned back into a view exactly once.
    const size_t fresh = args->size();
    args->resize(saved_.size() + fresh);
    std::move_backward(args->begin(), args->begin() + fresh, args->end());
    for (size_t i = 0; i < saved_.size(); ++i) {
      const Span& a = saved_[i];
      (*args)[i] = a.external != nullptr ? std::string_view(a.external, a.length)
                                         : data.substr(a.offset, a.length);
    }
    saved_.clear();
  }
  state_ = State::kFrameStart;
  pos_ = 0;
  scan_ = 0;
  args_left_ = 0;
  return {ParseStatus::kCommand, consumed, {}};
}

ParseResult Parser::Suspend(std::string_view data, std::vector<std::string_view>* args) {
  for (const std::string_view arg : *args) {
    saved_.push_back({static_cast<size_t>(arg.data() - data.data()), arg.size()});
  }
  args->clear();
  return NeedMore();
}

ParseResult Parser::Fail(std::string_view message, std::vector<std::string_view>* args) {
  state_ = State::kError;
  error_ = message;
  saved_.clear();
  args->clear();
  return {ParseStatus::kError, 0, error_};
}

ParseResult Parser::FailExpectedDollar(char got, std::vector<std::string_view>* args) {
  // CR and LF would break the error line, so they are shown as a space, as Redis does.
  if (got == '\r' || got == '\n') got = ' ';
  constexpr std::string_view kPrefix = "ERR Protocol error: expected '$', got '";
  static_assert(kPrefix.size() + 2 <= std::tuple_size_v<decltype(error_buf_)>);
  std::memcpy(error_buf_.data(), kPrefix.data(), kPrefix.size());
  error_buf_[kPrefix.size()] = got;
  error_buf_[kPrefix.size() + 1] = '\'';
  return Fail(std::string_view(error_buf_.data(), kPrefix.size() + 2), args);
}

}  // namespace ringside::resp
