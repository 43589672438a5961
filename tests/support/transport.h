// How a test's clients reach the servers the support code starts. Over TCP (the default) a
// client connects to 127.0.0.1:port. Under RINGSIDE_TEST_TRANSPORT=unix (the `.unix` ctest
// runs) every server is started with `--unixsocket UnixSocketPath(port)` as well, and every
// client connects to that socket instead. The TCP listener stays either way: ringside's link to
// an upstream and the tests about TCP itself use it.
//
// A server is still named by its TCP port everywhere: the socket path follows from it.
#pragma once

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <string>
#include <vector>

namespace ringside::testing {

// True under RINGSIDE_TEST_TRANSPORT=unix.
bool UnixTransport();

// Where the server on `port` listens under the unix transport: `<dir>/<port>.sock`, in a
// directory of this user's own (mode 0700, made on first use) under $TMPDIR, or under /tmp
// when that would not fit a socket path. "" (and a test failure) when the directory is not
// safe to use: not a directory, or someone else's, or open to others. Servers on different
// ports never share a path, and a server replaces a socket file an earlier one left behind.
std::string UnixSocketPath(int port);

// The directives a server on `port` gets for the transport: {"--unixsocket", path} under the
// unix transport, none over TCP. Accepted by ringside and redis-server alike.
std::vector<std::string> TransportArgs(int port);

// What a client to `port` connects to, for messages: "127.0.0.1:<port>" or the socket's path.
std::string ServerAddress(int port);

// A blocking stream socket (close-on-exec) connected to the server on `port` over the
// transport, with TCP_NODELAY over TCP; -1 with errno set when that fails. The caller owns it.
// A positive `rcvbuf` is set as SO_RCVBUF before the connect, where TCP needs it to bound the
// window it offers; a unix stream socket's sender is bounded by its own send buffer instead.
int ConnectToServer(int port, int rcvbuf = 0);

// A hiredis connection to the server on `port` over the transport, `timeout` for the connect;
// as redisConnectWithTimeout, nullptr or a context with err set when that fails. The caller
// frees it with redisFree.
redisContext* ConnectHiredis(int port, const timeval& timeout);

}  // namespace ringside::testing
