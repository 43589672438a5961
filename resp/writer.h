// RESP encoder. Appends encoded values to a caller-owned string; never flushes or does I/O.
// Callers describe what a reply is (a map, a set, a double, a null); the writer encodes it in
// the connection's protocol, RESP2 or RESP3, so no caller looks at the protocol.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringside::resp {

// Bytes that are sent from where they already live; `owner` keeps them alive until then.
struct ExternalBytes {
  std::shared_ptr<const void> owner;
  std::string_view bytes;
};

// Encoded replies whose big values are not copied in: each is a reference spliced into `text`
// at an offset. The wire bytes are text[0, at1) + splice1 + text[at1, at2) + splice2 + ...
struct Output {
  struct Splice {
    size_t at;
    ExternalBytes bytes;
  };
  std::string text;
  std::vector<Splice> splices;

  bool empty() const { return text.empty() && splices.empty(); }
  size_t size() const {
    size_t n = text.size();
    for (const Splice& s : splices) n += s.bytes.bytes.size();
    return n;
  }
  void clear() {
    text.clear();
    splices.clear();
  }
  // Appends another output after this one.
  void Append(Output&& o) {
    if (empty()) {
      *this = std::move(o);
      return;
    }
    const size_t base = text.size();
    text += o.text;
    for (Splice& s : o.splices) splices.push_back(Splice{base + s.at, std::move(s.bytes)});
  }
};

// The protocol a connection speaks, as HELLO names it.
enum class Protocol : uint8_t { kResp2 = 2, kResp3 = 3 };

class Writer {
 public:
  // `out` must outlive the writer; everything is appended to it, ExternalBulk by copying.
  explicit Writer(std::string* out, Protocol proto = Protocol::kResp2) : out_(out), proto_(proto) {}
  // ExternalBulk values become splices of `out`.
  explicit Writer(Output* out, Protocol proto = Protocol::kResp2)
      : out_(&out->text), splices_(&out->splices), proto_(proto) {}

  void SimpleString(std::string_view s);
  // `msg` is the whole error line without the leading '-', e.g. "ERR syntax error".
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  // A bulk whose bytes are sent from where they live, when the output takes splices.
  void ExternalBulk(const ExternalBytes& b);
  // A missing value: $-1 in RESP2, _ in RESP3.
  void NullBulk();
  void ArrayHeader(int64_t n);
  // A missing array: *-1 in RESP2, _ in RESP3.
  void NullArray();
  // A map of n key/value pairs (2n values follow); in RESP2 an array of 2n.
  void MapHeader(int64_t n);
  // An unordered collection of n distinct values; in RESP2 an array.
  void SetHeader(int64_t n);
  // An out-of-band message of n values (invalidations, pub/sub); in RESP2 an array.
  void PushHeader(int64_t n);
  // A list of n pairs (HRANDFIELD ... WITHVALUES, ZRANGE ... WITHSCORES): in RESP3 an array
  // of n two-element arrays, each opened by PairHeader(); in RESP2 one flat array of 2n, where
  // PairHeader() writes nothing.
  void PairsHeader(int64_t n);
  void PairHeader();
  // Formatted as Redis formats doubles (%.17g, inf, -inf); in RESP2 a bulk string.
  void Double(double v);
  // In RESP2 the integer 1 or 0.
  void Boolean(bool v);
  // Text meant for humans, with a three-letter format ("txt", "mkd"); in RESP2 a bulk string.
  void Verbatim(std::string_view format, std::string_view text);
  void Ok() { SimpleString("OK"); }
  // Appends bytes that are already valid RESP.
  void Raw(std::string_view encoded) { out_->append(encoded); }

  std::string* buffer() { return out_; }
  Protocol protocol() const { return proto_; }
  // For HELLO, whose own reply is in the protocol it switches to.
  void set_protocol(Protocol p) { proto_ = p; }

 private:
  bool resp3() const { return proto_ == Protocol::kResp3; }

  std::string* out_;
  std::vector<Output::Splice>* splices_ = nullptr;
  Protocol proto_;
};

}  // namespace ringside::resp
