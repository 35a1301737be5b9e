-- The control API under /_emulator/: reset, switches, faults, the request log,
-- seeding and direct token creation. Loopback only, no auth: it is a test fixture.
local json = require "emu.json"
local boot = require "emu.boot"
local config = require "emu.config"
local faults = require "emu.faults"
local reqlog = require "emu.reqlog"
local store = require "emu.store"
local validate = require "emu.validate"
local respond = require "emu.respond"
local input = require "emu.control_input"
local dict = require "emu.dict"

local M = {}

local MAX_SEED = 100000

local ok, org_of = input.ok, input.org_of

local routes = {}

routes["GET health"] = ok

routes["GET info"] = function()
  local b = boot.get()
  return respond.json(200, { org_id = b.org_id, email = boot.EMAIL, bootstrap_token_id = b.token_id })
end

routes["POST reset"] = function()
  boot.reset()
  return ok()
end

routes["GET config"] = function()
  return respond.json(200, config.get())
end

routes["POST config"] = function(ctx)
  local body, bad = respond.read_object(ctx, "config takes an object of switch: value")
  if not body then
    return bad
  end
  local c, err = config.set(body)
  if not c then
    return respond.detail(400, err)
  end
  return respond.json(200, c)
end

routes["GET faults"] = function()
  return respond.raw(200, faults.list())
end

routes["POST faults"] = function(ctx)
  local body, bad = respond.read_json(ctx)
  if not body then
    return bad
  end
  local list = json.is_array(body) and body or { body }
  local checked = {}
  for i, f in ipairs(list) do
    local c, err = faults.check(f)
    if not c then
      return respond.detail(400, "fault " .. i .. ": " .. err)
    end
    checked[i] = c
  end
  return respond.json(200, { queued = faults.queue(checked) })
end

routes["DELETE faults"] = function()
  faults.clear()
  return ok()
end

routes["GET log"] = function()
  return respond.raw(200, reqlog.all())
end

-- {arrived, in_flight}: API requests since the reset, and those still being answered
routes["GET inflight"] = function()
  return respond.json(200, reqlog.counts())
end

routes["DELETE log"] = function()
  reqlog.clear()
  return ok()
end

local function privileges_or_default(body, org_id)
  if body.privileges == nil then
    return { { scope = "org", role = "admin", org_id = org_id } }
  end
  local fields, err = validate.token_body({ name = "x", privileges = body.privileges }, true)
  if not fields then
    return nil, err
  end
  return fields.privileges
end

-- POST seed {count, org_id?, name_prefix?, privileges?, self?} -> {count, ids}
-- self = true: the built-in user's own tokens instead of the org's
routes["POST seed"] = function(ctx)
  local body, bad = respond.read_object(ctx, "seed takes an object")
  if not body then
    return bad
  end
  local n = body.count
  if type(n) ~= "number" or n ~= math.floor(n) or n < 1 or n > MAX_SEED then
    return respond.detail(400, "count must be an integer from 1 to " .. MAX_SEED)
  end
  local org_id, obad = org_of(body)
  if not org_id then
    return obad
  end
  local privs, perr = privileges_or_default(body, org_id)
  if not privs then
    return respond.detail(400, perr)
  end
  local prefix = type(body.name_prefix) == "string" and body.name_prefix or "seeded-"
  local ids = store.seed(org_id, n, prefix, privs, nil, body.self == true and boot.EMAIL or nil)
  local quoted = {}
  for i, id in ipairs(ids) do
    quoted[i] = '"' .. id .. '"'
  end
  return respond.raw(200, '{"count":' .. n .. ',"ids":' .. json.array_of(quoted) .. "}")
end

-- POST tokens {name?, privileges?, src_ips?, org_id?}: a token made behind the API's
-- back (another org's, a read-only one...); answers it with its whole key.
routes["POST tokens"] = function(ctx)
  local body, bad = respond.read_object(ctx, "tokens takes an object")
  if not body then
    return bad
  end
  local org_id, obad = org_of(body)
  if not org_id then
    return obad
  end
  local fields, err = validate.token_body({
    name = body.name or "control-made token",
    privileges = body.privileges or { { scope = "org", role = "admin" } },
    src_ips = body.src_ips,
  }, true)
  if not fields then
    return respond.detail(400, err)
  end
  fields.org_id = org_id
  fields.created_by = type(body.created_by) == "string" and body.created_by or nil
  return respond.json(200, store.view(store.create(fields), true))
end

-- GET tokens: every token the emulator holds, the org's and the users' own, each with
-- its whole key and its owner ("org" or "user"), in no particular order: what a
-- test compares with the keys a client kept. Never part of the emulated API.
routes["GET tokens"] = function()
  local out = {}
  for _, k in ipairs(dict:get_keys(0)) do
    local id = k:match("^tok:(.+)$")
    local rec = id and store.get(id)
    if rec then
      local v = store.view(rec, true)
      v.owner = rec.user and "user" or "org"
      out[#out + 1] = json.encode(v)
    end
  end
  return respond.raw(200, json.array_of(out))
end

-- the calls that shape the world around the tokens: sites, site groups, org name, times
for key, fn in pairs(require("emu.control_world").routes) do
  routes[key] = fn
end
-- and the fleet around it: MSPs, many orgs, the user's privileges over them
for key, fn in pairs(require("emu.control_fleet").routes) do
  routes[key] = fn
end

-- name: the first path segment under /_emulator/; id: the second, if any.
function M.handle(ctx, name, id)
  local key = ctx.method .. " " .. name .. (id and "/:id" or "")
  local route = routes[key]
  if not route then
    return respond.detail(404, "no control endpoint " .. ctx.method .. " /_emulator/" .. name .. (id and "/{id}" or ""))
  end
  return route(ctx, id)
end

return M
