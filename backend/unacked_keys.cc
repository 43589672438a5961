#include "backend/unacked_keys.h"

#include <string>

namespace ringside::backend {

UnackedKeys::UnackedKeys(const UpstreamLink* link, KeysOf keys_of)
    : link_(link), keys_of_(std::move(keys_of)) {}

void UnackedKeys::SetTracking(bool on) {
  if (on == tracking_) return;
  tracking_ = on;
  order_.clear();
  keys_.clear();
  if (on) from_ = link_->recorded();
}

void UnackedKeys::Record(int db, std::span<const std::string_view> argv) {
  if (!tracking_ || argv.empty()) return;
  const uint64_t id = link_->recorded();
  positions_.clear();
  if (!keys_of_(argv, &positions_)) {
    from_ = id;
    return;
  }
  for (size_t i : positions_) {
    auto it = keys_.find(DbKey{db, argv[i]});
    if (it == keys_.end()) {
      it = keys_.emplace(DbKeyOwned{db, std::string(argv[i])}, id).first;
    } else if (it->second == id) {
      continue;  // the same key twice in one record
    } else {
      it->second = id;
    }
    order_.emplace_back(id, &it->first);
  }
}

void UnackedKeys::Release(uint64_t acked) {
  while (!order_.empty() && order_.front().first <= acked) {
    const auto [id, key] = order_.front();
    order_.pop_front();
    // Only the key's last record lets it go; the key view dies with the erased entry.
    if (auto it = keys_.find(*key); it != keys_.end() && it->second == id) keys_.erase(it);
  }
}

bool UnackedKeys::MayEvict(int db, std::string_view key) const {
  if (link_->acked() < from_) return false;
  return keys_.find(DbKey{db, key}) == keys_.end();
}

}  // namespace ringside::backend
