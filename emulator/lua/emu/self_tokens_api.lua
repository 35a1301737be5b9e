-- A user's own API tokens, /api/v1/self/apitokens (spec: listApiTokens, createApiToken,
-- getApiToken, updateApiToken, deleteApiToken; model user_apitoken). Such a token has
-- no privileges of its own: it acts with its user's. Each handler takes (ctx, principal,
-- _, id) like the org token handlers; the router lets only a user in (see auth.user_of).
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

local function fields_of(ctx)
  local body, bad = respond.read_json(ctx)
  if body == nil then
    return nil, bad
  end
  local fields, err = validate.user_token_body(body)
  if not fields then
    return nil, respond.detail(400, err)
  end
  return fields
end

local function find(principal, id)
  local rec = store.get(id)
  if rec and rec.user == principal.email then
    return rec
  end
end

function M.list(ctx, principal)
  return lists.answer(ctx, function(offset, limit)
    local recs, total = store.page(nil, offset, limit, principal.email)
    local items = {}
    for i, rec in ipairs(recs) do
      items[i] = view_json(rec, false)
    end
    return items, total
  end)
end

-- The spec answers createApiToken with ApitokensUserArray (a list); the switch
-- self_create_answer = "object" answers the token alone instead.
function M.create(ctx, principal)
  local fields, bad = fields_of(ctx)
  if not fields then
    return bad
  end
  local rec = store.create{ user = principal.email, name = fields.name }
  local text = view_json(rec, true)
  if ctx.config.self_create_answer == "array" then
    text = "[" .. text .. "]"
  end
  return respond.raw(200, text)
end

function M.get(_, principal, _, id)
  local rec = find(principal, id)
  if not rec then
    return respond.detail(404, NOT_FOUND)
  end
  return respond.raw(200, view_json(rec, false))
end

function M.update(ctx, principal, _, id)
  local rec = find(principal, id)
  if not rec then
    return respond.detail(404, NOT_FOUND)
  end
  local fields, bad = fields_of(ctx)
  if not fields then
    return bad
  end
  if fields.name then
    rec.name = fields.name
    store.save(rec)
  end
  return respond.raw(200, view_json(rec, false))
end

function M.delete(_, principal, _, id)
  local rec = find(principal, id)
  if not rec then
    return respond.detail(404, NOT_FOUND)
  end
  store.delete(rec)
  return respond.raw(200, "")
end

return M
