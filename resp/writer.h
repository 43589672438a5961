// RESP2 encoder. Appends encoded values to a caller-owned string; never flushes or does I/O.
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

class Writer {
 public:
  // `out` must outlive the writer; everything is appended to it, ExternalBulk by copying.
  explicit Writer(std::string* out) : out_(out) {}
  // ExternalBulk values become splices of `out`.
  explicit Writer(Output* out) : out_(&out->text), splices_(&out->splices) {}

  void SimpleString(std::string_view s);
  // `msg` is the whole error line without the leading '-', e.g. "ERR syntax error".
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  // A bulk whose bytes are sent from where they live, when the output takes splices.
  void ExternalBulk(const ExternalBytes& b);
  void NullBulk();
  void ArrayHeader(int64_t n);
  void NullArray();
  void Ok() { SimpleString("OK"); }
  // Appends bytes that are already valid RESP.
  void Raw(std::string_view encoded) { out_->append(encoded); }

  std::string* buffer() { return out_; }

 private:
  std::string* out_;
  std::vector<Output::Splice>* splices_ = nullptr;
};

}  // namespace ringside::resp
