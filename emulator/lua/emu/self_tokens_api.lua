-- A user's own API tokens, /api/v1/self/apitokens (spec: listApiTokens, createApiToken,
-- getApiToken, updateApiToken, deleteApiToken; model user_apitoken). Such a token has
-- no privileges of its own: it acts with its user's. Each handler takes (ctx, principal,
-- _, id) like the org token handlers; the router lets only a user in (see auth.user_of).
local store = require "emu.store"
local validate = require "emu.validate"
local respond = require "emu.respond"
local collection = require "emu.token_collection"

local M = {}

local tokens = collection.new(function(rec, principal)
  return rec.user == principal.email
end, function(principal, _, offset, limit)
  return store.page(nil, offset, limit, principal.email)
end)

M.list, M.get, M.delete = tokens.list, tokens.get, tokens.delete

-- The spec answers createApiToken with ApitokensUserArray (a list); the switch
-- self_create_answer = "object" answers the token alone instead, "several" all the
-- user's tokens in the store's order, "all" the others (masked) then the new one
-- (whole key): the spec doesn't say the list holds one.
function M.create(ctx, principal)
  local fields, bad = collection.fields(ctx, validate.user_token_body)
  if not fields then
    return bad
  end
  local rec = store.create{ user = principal.email, name = fields.name }
  local text = collection.view_json(rec, true)
  if ctx.config.self_create_answer == "array" then
    text = "[" .. text .. "]"
  elseif ctx.config.self_create_answer == "several" then
    local items = {}
    for _, other in ipairs((store.page(nil, 0, 1000, principal.email))) do
      items[#items + 1] = other.id == rec.id and text or collection.view_json(other, false)
    end
    text = "[" .. table.concat(items, ",") .. "]"
  elseif ctx.config.self_create_answer == "all" then
    local items = {}
    for _, other in ipairs((store.page(nil, 0, 1000, principal.email))) do
      if other.id ~= rec.id then items[#items + 1] = collection.view_json(other, false) end
    end
    items[#items + 1] = text
    text = "[" .. table.concat(items, ",") .. "]"
  end
  return respond.raw(200, text)
end

M.update = tokens.with_token(function(ctx, _, _, rec)
  local fields, bad = collection.fields(ctx, validate.user_token_body)
  if not fields then
    return bad
  end
  if fields.name then
    rec.name = fields.name
    store.save(rec)
  end
  return respond.raw(200, collection.view_json(rec, false))
end)

return M
