// RESP2 request decoder: bytes in, one command's argument views out.
//
// Pure and incremental. The parser never reads a socket, logs or allocates memory sized by a
// length announced on the wire; it only remembers how far it got in the current frame, so a
// frame that trickles in over many calls is scanned once in total. Bulk bodies are skipped by
// their length and never scanned.
//
// One Parser belongs to one connection and is used by the thread that owns that connection.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringside::resp {

struct Limits {
  int64_t max_bulk_len = 512ll * 1024 * 1024;  // proto-max-bulk-len
  int64_t max_args = 1024 * 1024;              // arguments per multibulk
  size_t max_inline = 64 * 1024;               // inline line length, and header line length
  // A client that has not authenticated yet may send only small commands (as Redis: at most
  // 10 arguments of at most 16 KiB each), so that it cannot make the server hold much for it.
  bool unauthenticated = false;
};
constexpr int64_t kUnauthenticatedMaxArgs = 10;
constexpr int64_t kUnauthenticatedMaxBulk = 16384;

enum class ParseStatus { kCommand, kNeedMore, kError };

struct ParseResult {
  ParseStatus status;
  size_t consumed = 0;  // bytes of `data` that belong to the parsed frame (kCommand); 0 otherwise
  std::string_view error;  // kError: the full error line without '-'; points into the Parser
};

// What the parser accepts, matching Redis 7.0 unless noted:
//  - Multibulk `*N\r\n` followed by N bulks `$len\r\n<len bytes>\r\n`. N <= 0 is an empty
//    command. The two bytes after a header's '\r' and after a bulk body are skipped without
//    being checked, as Redis does.
//  - Inline: any frame not starting with '*' is one line ended by '\n' (a '\r' before it is
//    dropped), split into words like redis-cli input: blanks separate, "double quotes" take
//    \n \r \t \b \a \xHH and \<any> escapes, 'single quotes' take only \'. A NUL byte is an
//    ordinary byte (Redis stalls on it).
//  - A header line must have its '\r' within max_inline bytes of its first byte, and an inline
//    line its '\n' within max_inline bytes. Unlike Redis, the verdict depends only on the
//    frame's bytes, never on how they were split into reads.
class Parser {
 public:
  explicit Parser(const Limits& limits = {});

  // Takes effect from the next header or line the parser reads.
  void set_limits(const Limits& l) { limits_ = l; }
  const Limits& limits() const { return limits_; }

  // Parses one command from the start of `data`. `data` always begins at the start of the
  // current frame: after kNeedMore the caller calls again with the same bytes plus whatever
  // arrived since (the buffer may have moved in memory; the parser keeps offsets only).
  //
  // kCommand: `args` (cleared first) holds the arguments, possibly none (for "*0\r\n" or a
  // blank inline line; the caller skips such a command), and the parser is ready for the next
  // frame, which starts at data[consumed]. Each view points into `data`, except an inline
  // argument that was quoted, which points into storage owned by the parser; all views stay
  // valid until the next call to Parse or Reset, or until `data` is freed, whichever is first.
  // kNeedMore: `args` is left empty; nothing is consumed.
  // kError: the frame is malformed; the caller replies with `error` and closes the connection.
  // Every later call returns the same error until Reset.
  ParseResult Parse(std::string_view data, std::vector<std::string_view>* args);

  // Forgets the current frame and any error.
  void Reset();

  // While the parser waits for the body of a bulk (the last Parse returned kNeedMore after
  // reading its `$len` header): where the body starts, as an offset from the frame start, and
  // its announced length and its position. `length` is -1 otherwise. Lets a connection set up a
  // dedicated buffer for a large argument before its bytes arrive.
  struct PendingBulk {
    size_t offset = 0;
    int64_t length = -1;
    size_t index = 0;  // the argument's position in the command
  };
  PendingBulk pending_bulk() const;

  // While a bulk body is pending (pending_bulk().length >= 0): the body and the two bytes after
  // it will not be in `data`; the caller receives them elsewhere, into `body`, which must have
  // pending_bulk().length bytes and stay valid until the command is returned. The caller
  // removes those bytes from its buffer, so the frame continues at pending_bulk().offset: the
  // next call to Parse sees the next bulk header there (or completes the command, when this
  // was its last argument). The command's argument is `body` itself.
  void SkipPendingBulk(std::string_view body);

 private:
  enum class State : uint8_t {
    kFrameStart,
    kCount,
    kBulkHeader,
    kBulkBody,
    kFrameEnd,  // every argument is in; the frame ends at pos_
    kInline,
    kError
  };

  // An argument saved across kNeedMore calls, as a position in the frame, or as a view of
  // bytes received outside the frame (`external` set).
  struct Span {
    size_t offset;
    size_t length;
    const char* external = nullptr;
  };

  enum class LineScan { kFound, kNeedMore, kTooLong };
  LineScan FindLineEnd(std::string_view data, char terminator, size_t* end);

  ParseResult ParseInline(std::string_view data, std::vector<std::string_view>* args);
  bool SplitInline(const char* line, size_t length, std::vector<std::string_view>* args);

  ParseResult Complete(size_t consumed, std::string_view data, std::vector<std::string_view>* args);
  ParseResult Suspend(std::string_view data, std::vector<std::string_view>* args);
  ParseResult Fail(std::string_view message, std::vector<std::string_view>* args);
  ParseResult FailExpectedDollar(char got, std::vector<std::string_view>* args);

  Limits limits_;
  State state_ = State::kFrameStart;
  size_t pos_ = 0;   // offset of the line or bulk body being read
  size_t scan_ = 0;  // offset up to which the current line was searched for its terminator
  int64_t args_left_ = 0;
  int64_t bulk_len_ = 0;
  std::vector<Span> saved_;  // arguments of the current frame from earlier calls
  std::string unquoted_;     // bytes of quoted inline arguments of the last command
  std::string_view error_;   // kError: a literal or a view of error_buf_
  std::array<char, 48> error_buf_{};
};

}  // namespace ringside::resp
