-- The five Org API Token operations. Each takes (ctx, principal, org_id, id) and
-- returns an answer table for emu.respond.
local json = require "emu.json"
local store = require "emu.store"
local validate = require "emu.validate"
local respond = require "emu.respond"
local lists = require "emu.lists"

local M = {}

local NOT_FOUND = "Not found."

local function view_json(rec, whole_key)
  return json.encode(store.view(rec, whole_key))
end

-- The token fields of the request's body (validate.token_body), or nil and the 400 answer.
local function token_fields(ctx, creating)
  local body, bad = respond.read_json(ctx)
  if body == nil then
    return nil, bad
  end
  local fields, err = validate.token_body(body, creating)
  if not fields then
    return nil, respond.detail(400, err)
  end
  return fields
end

function M.list(ctx, _, org_id)
  return lists.answer(ctx, function(offset, limit)
    local recs, total = store.page(org_id, offset, limit)
    local items = {}
    for i, rec in ipairs(recs) do
      items[i] = view_json(rec, false)
    end
    return items, total
  end)
end

function M.create(ctx, principal, org_id)
  local fields, bad = token_fields(ctx, true)
  if not fields then
    return bad
  end
  fields.org_id = org_id
  -- a person's email when a person made it; null when another token did
  fields.created_by = principal.kind ~= "token" and principal.email or nil
  local rec = store.create(fields)
  return respond.raw(200, view_json(rec, true))
end

local function find(org_id, id)
  local rec = store.get(id)
  if rec and rec.org_id == org_id then
    return rec
  end
end

function M.get(_, _, org_id, id)
  local rec = find(org_id, id)
  if not rec then
    return respond.detail(404, NOT_FOUND)
  end
  return respond.raw(200, view_json(rec, false))
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

function M.update(ctx, _, org_id, id)
  local rec = find(org_id, id)
  if not rec then
    return respond.detail(404, NOT_FOUND)
  end
  local fields, bad = token_fields(ctx, false)
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
  return respond.raw(200, view_json(rec, false))
end

function M.delete(_, _, org_id, id)
  local rec = find(org_id, id)
  if not rec then
    return respond.detail(404, NOT_FOUND)
  end
  store.delete(rec)
  return respond.raw(200, "")
end

return M
