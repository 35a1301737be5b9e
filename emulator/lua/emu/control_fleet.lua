-- Control calls that make a fleet: MSPs, many orgs with seeded tokens, and the built-in
-- user's privileges naming them (what /api/v1/self shows). Shapes in docs/emulator.md,
-- "The control API".
local json = require "emu.json"
local fleet = require "emu.fleet"
local respond = require "emu.respond"
local validate = require "emu.validate"
local schema = require "mistapi.schema"

local M = {}

local MAX_ORGS, MAX_TOKENS = 5000, 1000

local ROLES = {}
for _, r in ipairs(schema.roles) do ROLES[r] = true end

local routes = {}
M.routes = routes

local function whole(v, lo, hi)
  return type(v) == "number" and v == math.floor(v) and v >= lo and v <= hi
end

-- POST msps {id?, name?} -> {id, name}
routes["POST msps"] = function(ctx)
  local body, bad = respond.read_object(ctx, "msps takes an object {id?, name?}")
  if not body then
    return bad
  end
  if body.id ~= nil and not validate.is_uuid(body.id) then
    return respond.detail(400, "id: Must be a valid UUID.")
  end
  if body.name ~= nil and (type(body.name) ~= "string" or body.name == "") then
    return respond.detail(400, "name must be a non-empty string")
  end
  return respond.json(200, fleet.add_msp(body.id and body.id:lower(), body.name))
end

-- POST orgs {count, msp_id?, name_prefix?, tokens?, privileges?} -> {org_ids}: `count` new
-- orgs named <name_prefix><i>, each with `tokens` seeded tokens (default 1; privileges:
-- of each, default org admin), in the MSP msp_id (made by POST msps) when given.
routes["POST orgs"] = function(ctx)
  local body, bad = respond.read_object(ctx, "orgs takes an object {count, msp_id?, name_prefix?, tokens?}")
  if not body then
    return bad
  end
  if not whole(body.count, 1, MAX_ORGS) then
    return respond.detail(400, "count must be an integer from 1 to " .. MAX_ORGS)
  end
  local tokens = body.tokens == nil and 1 or body.tokens
  if not whole(tokens, 0, MAX_TOKENS) then
    return respond.detail(400, "tokens must be an integer from 0 to " .. MAX_TOKENS)
  end
  local msp_id = body.msp_id
  if msp_id ~= nil then
    msp_id = validate.is_uuid(msp_id) and msp_id:lower()
    if not msp_id or not fleet.msp_name(msp_id) then
      return respond.detail(400, "msp_id: no such MSP (make it with POST /_emulator/msps)")
    end
  end
  local privileges = { { scope = "org", role = "admin" } }
  if body.privileges ~= nil then
    local fields, err = validate.token_body({ name = "x", privileges = body.privileges }, true)
    if not fields then
      return respond.detail(400, err)
    end
    privileges = fields.privileges
  end
  local prefix = type(body.name_prefix) == "string" and body.name_prefix or "org-"
  local ids = {}
  for i = 1, body.count do
    ids[i] = fleet.add_org(prefix .. i, msp_id, tokens, privileges)
  end
  return respond.json(200, { org_ids = json.array(ids) })
end

-- PUT user_privileges {privileges = [{scope = "org"|"msp", role, org_id | msp_id}]}: the
-- built-in user's privileges from now on (its logins, Basic auth and own tokens). -> them
-- as /api/v1/self shows them.
routes["PUT user_privileges"] = function(ctx)
  local usage = "user_privileges takes {privileges = [{scope = org|msp, role, org_id|msp_id}]}"
  local body, bad = respond.read_object(ctx, usage)
  if not body then
    return bad
  end
  local list = body.privileges
  if type(list) ~= "table" or json.is_object(list) and next(list) ~= nil then
    return respond.detail(400, usage)
  end
  local out = {}
  for i, p in ipairs(list) do
    local idf = type(p) == "table" and (p.scope == "org" and "org_id" or p.scope == "msp" and "msp_id")
    if not idf or not ROLES[p.role] or not validate.is_uuid(p[idf]) then
      return respond.detail(400, "privileges[" .. i .. "]: " .. usage)
    end
    if p.scope == "msp" and not fleet.msp_name(p.msp_id:lower()) then
      return respond.detail(400, "privileges[" .. i .. "]: no such MSP")
    end
    out[i] = { scope = p.scope, role = p.role, [idf] = p[idf]:lower() }
  end
  fleet.set_user_privileges(out)
  return respond.json(200, { privileges = json.array(fleet.named_user_privileges()) })
end

return M
