-- The log of requests received (control API: GET /_emulator/log). Method, path,
-- query, which token authenticated, status and fault; never a token, key or body.
local dict = require "emu.dict"
local json = require "emu.json"

local M = {}

local MAX = 100000 -- entries kept; the oldest go first

function M.add(entry)
  local n = dict:incr("log:n", 1, 0)
  dict:set("log:" .. n, json.encode(entry))
  if n > MAX then
    dict:delete("log:" .. (n - MAX))
  end
end

function M.all()
  local n = dict:get("log:n") or 0
  local out = {}
  for i = math.max(1, n - MAX + 1), n do
    local text = dict:get("log:" .. i)
    if text then
      out[#out + 1] = text
    end
  end
  return json.array_of(out)
end

-- API requests that arrived since the last reset, and those not yet finished (a
-- held or slow one): what a test waits on before it kills a client mid-run.
function M.arrived()
  dict:incr("req:arrived", 1, 0)
  dict:incr("req:in_flight", 1, 0)
end

-- From the log phase of a request that arrived (not one the reset forgot).
function M.finished()
  local n = dict:get("req:in_flight")
  if n and n > 0 then
    dict:incr("req:in_flight", -1)
  end
end

function M.counts()
  return { arrived = dict:get("req:arrived") or 0, in_flight = dict:get("req:in_flight") or 0 }
end

function M.clear()
  local n = dict:get("log:n") or 0
  for i = math.max(1, n - MAX + 1), n do
    dict:delete("log:" .. i)
  end
  dict:set("log:n", 0)
end

return M
