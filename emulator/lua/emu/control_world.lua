-- Control calls that shape the world around the tokens, for audits and rotations: a
-- user's own tokens, token times (backdating), sites and site groups (added, gone) and
-- the org's name. Shapes in docs/emulator.md, "The control API".
local json = require "emu.json"
local boot = require "emu.boot"
local store = require "emu.store"
local validate = require "emu.validate"
local respond = require "emu.respond"
local orgs = require "emu.orgs"
local input = require "emu.control_input"

local M = {}

-- "METHOD name[/:id]" -> handler
local routes = {}
M.routes = routes

-- POST self_tokens {name?}: a token of the built-in user's own (/api/v1/self/apitokens),
-- made behind the API's back; answers it with its whole key.
routes["POST self_tokens"] = function(ctx)
  local body, bad = respond.read_json(ctx)
  if not body then
    return bad
  end
  local fields, err = validate.user_token_body(body)
  if not fields then
    return respond.detail(400, err)
  end
  return respond.json(200, store.view(store.create{ user = boot.EMAIL, name = fields.name }, true))
end

local function epoch_or(v, name, allow_null)
  if v == nil or (allow_null and v == json.null) then
    return true
  end
  if type(v) ~= "number" or v ~= math.floor(v) or v < 0 or v > 4102444800 then
    return nil, name .. " must be an epoch in whole seconds" .. (allow_null and " or null" or "")
  end
  return true
end

-- PUT tokens/{id} {created_time?, last_used?}: backdate a token (org or user) for audits;
-- last_used null = never used. Answers the token as the API shows it (key masked).
routes["PUT tokens/:id"] = function(ctx, id)
  local rec = validate.is_uuid(id) and store.get(id:lower())
  if not rec then
    return respond.detail(404, "no token " .. id)
  end
  local body, bad = respond.read_object(ctx, "tokens/{id} takes an object {created_time?, last_used?}")
  if not body then
    return bad
  end
  for _, f in ipairs({ { "created_time", false }, { "last_used", true } }) do
    local good, err = epoch_or(body[f[1]], f[1], f[2])
    if not good then
      return respond.detail(400, err)
    end
  end
  local last_used = body.last_used
  if last_used == json.null then
    last_used = false
  end
  return respond.json(200, store.view(store.set_times(rec, body.created_time, last_used), false))
end

-- POST sites {name?, id?, org_id?, sitegroup_ids?} / POST sitegroups {name?, id?, org_id?}:
-- add one; DELETE sites/{id}?org_id= / sitegroups/{id}: the site (group) is gone.
local function adder(kind)
  return function(ctx)
    local body, bad = respond.read_object(ctx, kind .. " takes an object")
    if not body then
      return bad
    end
    local org_id, obad = input.org_of(body)
    if not org_id then
      return obad
    end
    if body.id ~= nil and not validate.is_uuid(body.id) then
      return respond.detail(400, "id: Must be a valid UUID.")
    end
    if body.name ~= nil and (type(body.name) ~= "string" or body.name == "") then
      return respond.detail(400, "name must be a non-empty string")
    end
    local groups = kind == "sites" and body.sitegroup_ids or nil
    if groups ~= nil then
      if type(groups) ~= "table" or json.is_object(groups) and next(groups) ~= nil then
        return respond.detail(400, "sitegroup_ids must be a list of UUIDs")
      end
      for _, g in ipairs(groups) do
        if not validate.is_uuid(g) then
          return respond.detail(400, "sitegroup_ids must be a list of UUIDs")
        end
      end
    end
    local id = body.id and body.id:lower()
    if id and orgs.find(kind, org_id, id) then
      return respond.detail(400, "id: " .. kind .. " already has " .. id)
    end
    local item = orgs.add(kind, org_id, { id = id, name = body.name, sitegroup_ids = groups })
    return respond.json(200, orgs.view_item(kind, org_id, item))
  end
end

local function remover(kind)
  return function(ctx, id)
    local org_id = ctx.args().org_id or boot.get().org_id
    if type(org_id) ~= "string" or not validate.is_uuid(org_id) or not validate.is_uuid(id) then
      return respond.detail(400, "org_id and id must be UUIDs")
    end
    if not orgs.remove(kind, org_id:lower(), id:lower()) then
      return respond.detail(404, "no " .. kind .. " " .. id)
    end
    return input.ok()
  end
end

routes["POST sites"] = adder("sites")
routes["POST sitegroups"] = adder("sitegroups")
routes["DELETE sites/:id"] = remover("sites")
routes["DELETE sitegroups/:id"] = remover("sitegroups")

-- POST org {name, org_id?}: name the org (GET /api/v1/orgs/{org_id} and /self show it).
routes["POST org"] = function(ctx)
  local usage = "org takes an object {name, org_id?}"
  local body, bad = respond.read_object(ctx, usage)
  if not body then
    return bad
  end
  if type(body.name) ~= "string" or body.name == "" then
    return respond.detail(400, usage)
  end
  local org_id, obad = input.org_of(body)
  if not org_id then
    return obad
  end
  orgs.set_name(org_id, body.name)
  return respond.json(200, orgs.view(org_id, boot.get().started))
end

return M
