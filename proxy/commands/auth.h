// Logging a client in as a user, for AUTH and HELLO ... AUTH (commands/acl.cc).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "proxy/command.h"
#include "resp/writer.h"

namespace ringside::proxy {

// Makes the connection act as `user` when `password` is its; otherwise *error is WRONGPASS and
// ACL LOG has the failed attempt (args[0] as the client typed it).
bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view password,
                  std::string* error);

// How a login ends its command: `error` is empty when the client is now logged in, else the
// error reply's text. The writer is in the connection's protocol as it is then.
using LoginFinish = std::function<void(resp::Writer& out, const std::string& error)>;
// Logs the client in as `user`: with auth-mode local by ringside's users (Authenticate), and
// `finish` runs now; with auth-mode upstream by the upstream (UpstreamAuthCache first), the
// command's reply then waiting in a reserved slot, with the client's later commands held,
// until `finish` has written it.
void LogIn(CommandContext& ctx, std::string_view user, std::string_view password,
           LoginFinish finish);

// auth-mode upstream: the cache's answer, or the upstream's, about `user`/`password` for
// `conn`; on success the connection is logged in with the rights read. `done` gets "" or the
// error (WRONGPASS as the upstream words it), on the worker's thread, now or later; a failed
// login gets its ACL LOG entry with `object` (the command's name as the client sent it).
void CheckUpstreamLogin(Worker& worker, Connection& conn, std::string object, std::string user,
                        std::string password, std::function<void(const std::string& error)> done);

}  // namespace ringside::proxy
