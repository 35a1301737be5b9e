-- The five Org API Token operations. Each takes (ctx, principal, org_id, id) and
-- returns an answer table for emu.respond.
local store = require "emu.store"
local validate = require "emu.validate"
local respond = require "emu.respond"
local collection = require "emu.token_collection"

local M = {}

local tokens = collection.new(function(rec, _, org_id)
  return rec.org_id == org_id
end, function(_, org_id, offset, limit)
  return store.page(org_id, offset, limit)
end)

M.list, M.get, M.delete = tokens.list, tokens.get, tokens.delete

function M.create(ctx, principal, org_id)
  local fields, bad = collection.fields(ctx, validate.token_body, true)
  if not fields then
    return bad
  end
  fields.org_id = org_id
  -- a person's email when a person made it; null when another token did
  fields.created_by = principal.kind ~= "token" and principal.email or nil
  local rec = store.create(fields)
  return respond.raw(200, collection.view_json(rec, true))
end

local function same_list(a, b)
  a, b = a or {}, b or {}
  if #a ~= #b then
    return false
  end
  for i = 1, #a do
    if a[i] ~= b[i] then
      return false
    end
  end
  return true
end

M.update = tokens.with_token(function(ctx, _, org_id, rec)
  local fields, bad = collection.fields(ctx, validate.token_body, false)
  if not fields then
    return bad
  end
  if fields.src_ips and not same_list(fields.src_ips, rec.src_ips)
    and ctx.config.put_src_ips == "reject" then
    return respond.detail(400, "src_ips: cannot be changed once the API Token is created.")
  end
  rec.name = fields.name or rec.name
  if fields.privileges then
    for _, p in ipairs(fields.privileges) do
      if p.scope == "org" then
        p.org_id = org_id
      end
    end
    rec.privileges = fields.privileges
  end
  store.save(rec)
  if ctx.config.put_response == "empty" then
    return respond.raw(200, "")
  end
  return respond.raw(200, collection.view_json(rec, false))
end)

return M
