// RESP2 encoder. Appends encoded values to a caller-owned string; never flushes or does I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringside::resp {

class Writer {
 public:
  // `out` must outlive the writer; everything is appended to it.
  explicit Writer(std::string* out) : out_(out) {}

  void SimpleString(std::string_view s);
  // `msg` is the whole error line without the leading '-', e.g. "ERR syntax error".
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void NullBulk();
  void ArrayHeader(int64_t n);
  void NullArray();
  void Ok() { SimpleString("OK"); }
  // Appends bytes that are already valid RESP.
  void Raw(std::string_view encoded) { out_->append(encoded); }

  std::string* buffer() { return out_; }

 private:
  std::string* out_;
};

}  // namespace ringside::resp
