-- Start-up state: the org, the built-in user and the bootstrap admin token.
-- Kept in the dict under "boot" so a reset can put it back as it was.
local dict = require "emu.dict"
local json = require "emu.json"
local store = require "emu.store"
local config = require "emu.config"

local M = {}

M.EMAIL = "admin@example.com"

local function apply(b)
  dict:set("boot", json.encode(b))
  config.reset()
  store.create{
    id = b.token_id,
    key = b.token,
    org_id = b.org_id,
    name = "emulator bootstrap token",
    privileges = { { scope = "org", role = "admin" } },
    created_by = M.EMAIL,
    created_time = b.started,
  }
end

-- Called from init_by_lua with the values mist-emulator generated.
function M.init(opts)
  -- a fixed id: resets keep the bootstrap token the same token
  local id = opts.org_id:sub(1, 24) .. "0000b0075ba5"
  apply{ org_id = opts.org_id, token = opts.token, password = opts.password, token_id = id,
    started = ngx.time() }
end

function M.get()
  return json.decode(dict:get("boot"))
end

-- Everything back to the state just after start.
function M.reset()
  local b = M.get()
  dict:flush_all()
  dict:flush_expired()
  apply(b)
end

return M
