// An accepted client socket made ready for serving, and its addresses as CLIENT LIST shows
// them ("host:port").
#pragma once

#include <string>

namespace ringside::proxy {

// TCP_NODELAY, and TCP keepalive probes after `keepalive_s` idle seconds (0: none).
void PrepareClientSocket(int fd, int keepalive_s);
// The peer's and the local address of a connected socket.
std::string PeerAddress(int fd);
std::string LocalAddress(int fd);

}  // namespace ringside::proxy
