// An accepted client socket made ready for serving, and how CLIENT LIST and protected mode
// see its two ends.
#pragma once

#include <string>

namespace ringside::proxy {

// TCP_NODELAY, and TCP keepalive probes after `keepalive_s` idle seconds (0: none).
void PrepareClientSocket(int fd, int keepalive_s);

struct PeerInfo {
  // "host:port" as Redis shows them; on a unix socket both are "<socket path>:0".
  std::string addr, laddr;
  bool unix_socket = false;
  // On this host as protected mode counts it: a unix socket, 127.0.0.0/8 or ::1.
  bool local = false;
  bool tls = false;  // came in on tls-port
};
PeerInfo DescribePeer(int fd);

}  // namespace ringside::proxy
