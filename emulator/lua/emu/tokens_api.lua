-- The five Org API Token operations. Each takes (ctx, principal, org_id, id) and
-- returns an answer table for emu.respond.
local json = require "emu.json"
local store = require "emu.store"
local validate = require "emu.validate"
local respond = require "emu.respond"

local M = {}

local DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
local NOT_FOUND = "Not found."

local function positive_int(v, name)
  if type(v) == "table" then
    v = v[#v]
  end
  if v == nil then
    return true
  end
  local n = type(v) == "string" and v:match("^%d+$") and tonumber(v)
  if not n or n < 1 then
    return nil, name .. ": A valid positive integer is required."
  end
  return n
end

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
  local args = ctx.args()
  local limit, err = positive_int(args.limit, "limit")
  if not limit then
    return respond.detail(400, err)
  end
  local page, perr = positive_int(args.page, "page")
  if not page then
    return respond.detail(400, perr)
  end
  limit = limit == true and DEFAULT_LIMIT or math.min(limit, MAX_LIMIT)
  page = page == true and 1 or page
  local recs, total = store.page(org_id, (page - 1) * limit, limit)
  local items = {}
  for i, rec in ipairs(recs) do
    items[i] = view_json(rec, false)
  end
  if ctx.config.paging == "next" then
    -- the shape of Mist's search answers: results plus a `next` path while more remain
    local parts = {
      '"results":' .. json.array_of(items), '"limit":' .. limit, '"page":' .. page, '"total":' .. total,
    }
    if page * limit < total then
      parts[#parts + 1] = '"next":' .. json.encode(ctx.path .. "?limit=" .. limit .. "&page=" .. (page + 1))
    end
    return respond.raw(200, "{" .. table.concat(parts, ",") .. "}")
  end
  return respond.raw(200, json.array_of(items), {
    ["X-Page-Limit"] = tostring(limit), ["X-Page-Page"] = tostring(page), ["X-Page-Total"] = tostring(total),
  })
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
