--- Chooses the transport: cosockets inside nginx where they work, libcurl
-- everywhere else; `transport = "curl"` or `"ngx"` forces one.
-- @module mistapi.transport

local config = require "mistapi.config"

local transport = {}

local errors = require "mistapi.errors"

-- The nginx phases in which ngx.socket.tcp may be used (ngx_lua 0.10.23's
-- "yieldable" contexts; server_rewrite came with 0.10.22).
local COSOCKET_PHASES = {
  rewrite = true, server_rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
}
transport.COSOCKET_PHASES = COSOCKET_PHASES

local function inside_nginx()
  local ngx = rawget(_G, "ngx")
  return type(ngx) == "table" and type(ngx.get_phase) == "function"
end

--- The transport module's name for the settings ("curl" or "ngx"). Inside
-- nginx it is always "ngx": a blocking libcurl call would stall the worker,
-- so a call from a phase without cosockets fails with advice instead.
function transport.choose(name)
  if name == "auto" then return inside_nginx() and "ngx" or "curl" end
  return name
end

--- Opens the transport named by `s.transport`. The option `clock`
-- ({now =, sleep =}, either optional) replaces the transport's clock for
-- the retry waits and the deadline: a scheduler's sleep, or a test's record.
-- @return the transport, or nil and a validation error when it can't carry
--   out the settings (the ngx transport and ca_file, say)
function transport.open(s)
  local name = transport.choose(s.transport)
  local ngx = rawget(_G, "ngx")
  if name == "ngx" and not s.user_agent and type(ngx) == "table" and type(ngx.config) == "table" then
    -- the ngx transport's User-Agent, named from this release as curl's is
    s = setmetatable({ user_agent = config.user_agent("ngx_lua/" .. tostring(ngx.config.ngx_lua_version)) },
      { __index = s })
  end
  local t, why = require("mistapi.transport." .. name).new(s)
  if not t then return nil, errors.validation(why) end
  if s.clock then
    t.now = s.clock.now or t.now
    t.sleep = s.clock.sleep or t.sleep
  end
  return t
end

return transport
