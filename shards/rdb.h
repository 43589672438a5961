// One value in Redis 7.0's serialization format (RDB version 10), as DUMP writes it and
// RESTORE reads it:
//
//   <RDB type: 1 byte> <the object> <RDB version: u16 LE> <CRC-64 of all before it: u64 LE>
//
// Strings are type 0, small hashes type 16 (their listpack as it is), small sets of integers
// type 11 (their intset as it is), other hashes type 4 and other sets type 2 (a count, then
// each field and value, or member, as a string), lists type 18 (quicklist 2: the node count,
// then each node as container 2 and its listpack; type 1, a count and each element, is read
// too). Strings are written as Redis writes them,
// except that ringside never LZF-compresses (Redis reads either); it reads compressed ones.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shards/store.h"

namespace ringside::shards {

inline constexpr uint16_t kRdbVersion = 10;

// Redis's CRC-64 (Jones polynomial, reflected): crc64(0, "123456789") is 0xe9c6d914c4b8d9ca.
uint64_t Crc64(uint64_t crc, std::string_view bytes);

// The DUMP payload of `e`'s value (not its expiry).
std::string DumpPayload(const Entry& e);

enum class RestoreError : uint8_t {
  kNone,
  kVersionOrChecksum,  // "DUMP payload version or checksum are wrong"
  kBadFormat,          // "Bad data format"
};

// Reads a DUMP payload into *out (a value with no expiry), converting collections past
// `limits` as Redis does when it loads them.
RestoreError ParsePayload(std::string_view payload, const TypeLimits& limits, Entry* out);

}  // namespace ringside::shards
