-- The specs' way to get a loopback port for a server: the tree's one helper,
-- emulator/lua/ports.lua (below the ephemeral range, probed by bind(), random
-- from /dev/urandom; retry on "Address already in use"). See that file.
--   local ports = require "support.ports"
--   ports.pick(n) -> { port, ... };  ports.retry(n, launch);  ports.lost_race(log_text)
--   ports.dead() -> a port nothing listens on (for "connection refused" specs)
local function project_root()
  local src = debug.getinfo(1, "S").source
  return src:match("^@(.*)/spec/support/[^/]*$") or "."
end

local M = dofile(project_root() .. "/emulator/lua/ports.lua")

-- Nothing listens on a port that a bind() accepted a moment ago, and below
-- the ephemeral range no client socket takes it meanwhile.
function M.dead()
  return M.pick(1)[1]
end

return M
