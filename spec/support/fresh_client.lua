-- One emulator for a describe block (or a spec file) and a fresh client of
-- it for each test, so that no test sees what the one before it did: the
-- emulator reset, the last test's client closed, a new one made. Clients read
-- no environment (getenv), so a developer's MIST_* variables can't change a spec.
--   local fresh_client = require "support.fresh_client"
--   local fresh = fresh_client.new { max_retries = 0 }
--   local e, tokens
--   setup(function() e = fresh:start() end)
--   teardown(function() fresh:stop() end)
--   before_each(function() tokens = fresh:renew():orgs_api_tokens() end)
-- A spec whose tests write files gets a new 0700 directory with each client:
--   before_each(function() tokens, dir = fresh:renew_in_dir() end)
--   after_each(function() fresh:remove_dir() end)
-- (busted's setup and before_each are the spec file's own, so the spec wires them.)
local emu = require "support.emulator"
local shell = require "support.shell"
local mistapi = require "mistapi"

local M = {}

local function no_env() return nil end

local Fresh = {}
Fresh.__index = Fresh

--- opts: the options of each test's client, over base_url, token and getenv.
function M.new(opts)
  return setmetatable({ opts = opts or {} }, Fresh)
end

--- Starts the emulator (emu_opts as for emu.start); -> it.
function Fresh:start(emu_opts)
  self.e = emu.start(emu_opts)
  return self.e
end

--- A new client of the emulator, which the caller closes: the options given
-- to new, then each table given here over them (a raw server's base_url,
-- a clock...).
function Fresh:client(...)
  local e = self.e
  local opts = { base_url = e.url, token = e.token, getenv = no_env }
  for k, v in pairs(self.opts) do opts[k] = v end
  for i = 1, select("#", ...) do
    for k, v in pairs(select(i, ...) or {}) do opts[k] = v end
  end
  return assert(mistapi.new(opts))
end

--- For before_each: the emulator reset, the last client closed and a new one
-- made. `extra`: options over new's, or a function(e) that gives them once
-- the emulator is reset (a token made for the test).
-- -> the client
function Fresh:renew(extra)
  self.e:reset()
  if self.current then self.current:close() end
  self.current = nil
  if type(extra) == "function" then extra = extra(self.e) end
  self.current = self:client(extra)
  return self.current
end

--- For before_each of a spec whose tests write files: renew(extra), and a
-- new empty directory (mode 0700) for the test, which remove_dir removes.
-- -> the new client's org API tokens, the directory's path
function Fresh:renew_in_dir(extra)
  local tokens = self:renew(extra):orgs_api_tokens()
  self.dir = shell.private_dir()
  return tokens, self.dir
end

--- For after_each: the test's directory (renew_in_dir's) removed.
function Fresh:remove_dir()
  shell.remove_tree(self.dir)
  self.dir = nil
end

--- For teardown: the last client closed and the emulator stopped.
function Fresh:stop()
  if self.current then self.current:close() end
  self.current = nil
  if self.e then self.e:stop() end
end

return M
