#include "backend/relay_pool.h"

#include <algorithm>
#include <utility>

namespace ringside::backend {

RelayPool::RelayPool(Dialer* dialer, Options options)
    : dialer_(dialer), options_(std::move(options)) {}

Relay* RelayPool::Take(RelayClient* client, int64_t now_ms) {
  Relay* pick = nullptr;
  for (auto& r : relays_) {
    if (r->client != nullptr || r->closing) continue;
    if (pick == nullptr || (r->link.ready() && !pick->link.ready())) pick = r.get();
  }
  if (pick == nullptr) pick = Open(now_ms);
  pick->client = client;
  // A connect that failed as it started (refused at once) was lost before the relay had a
  // client to tell; the client hears of it from the next Tend, as of any other loss.
  if (pick->closing) lost_at_open_.push_back(pick);
  return pick;
}

Relay* RelayPool::Open(int64_t now_ms) {
  auto r = std::make_unique<Relay>(options_.user, options_.password);
  Relay* relay = r.get();
  relay->link.set_db_base(options_.db_base);
  relay->conn = dialer_->Dial("upstream relay connection", &relay->link);
  relay->link.set_on_reply([relay](std::string reply) {
    if (relay->client != nullptr) relay->client->OnRelayReply(std::move(reply));
  });
  relay->conn->set_on_down([relay] {
    // Its state is gone with it: whoever used it is told, and it is not used again.
    RelayClient* client = relay->client;
    relay->client = nullptr;
    relay->closing = true;
    relay->conn->Close();
    if (client != nullptr) client->OnRelayLost();
  });
  relay->conn->Tick(now_ms);
  relays_.push_back(std::move(r));
  return relay;
}

size_t RelayPool::idle() const {
  return static_cast<size_t>(std::count_if(relays_.begin(), relays_.end(), [](const auto& r) {
    return r->client == nullptr && !r->closing;
  }));
}

void RelayPool::Return(Relay* relay, bool broken) {
  relay->client = nullptr;
  if (broken || !relay->link.ready() || idle() > kMaxIdle) {
    relay->closing = true;
    relay->conn->Close();
    return;
  }
  // Commands of the next client may follow at once: they go after the RESET and AUTH.
  relay->link.Reset();
}

void RelayPool::Tend(bool tick, bool closing_down, int64_t now_ms) {
  for (Relay* r : std::exchange(lost_at_open_, {})) {
    if (RelayClient* client = std::exchange(r->client, nullptr)) client->OnRelayLost();
  }
  bool any_idle = false;
  for (auto& r : relays_) {
    if (r->conn->connecting() || tick) r->conn->Tick(now_ms);
    r->conn->Flush();
    any_idle |= r->client == nullptr && !r->closing;
  }
  std::erase_if(relays_,
                [](const std::unique_ptr<Relay>& r) { return r->closing && r->conn->gone(); });
  if (tick && !any_idle && !closing_down) Open(now_ms);
}

}  // namespace ringside::backend
