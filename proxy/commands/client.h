// What the CLIENT family keeps on a connection, for RESET.
#pragma once

#include "proxy/command.h"

namespace ringside::proxy {

// Ends MONITOR, CLIENT TRACKING, CLIENT REPLY OFF|SKIP, NO-EVICT and NO-TOUCH for the client
// of `ctx`, as RESET does.
void ResetClientState(CommandContext& ctx);

}  // namespace ringside::proxy
