-- What the two token collections, an org's (/orgs/{id}/apitokens) and a user's own
-- (/self/apitokens), answer alike: a token as JSON, a body read and checked, the list,
-- and get, update or delete of a token the collection holds (404 for any other id).
local json = require "emu.json"
local store = require "emu.store"
local respond = require "emu.respond"
local lists = require "emu.lists"

local M = {}

local NOT_FOUND = "Not found."

-- A token as the API shows it; the whole key only in a create's answer.
function M.view_json(rec, whole_key)
  return json.encode(store.view(rec, whole_key))
end

-- The fields check(body, ...) makes of the request's JSON body, or nil and the 400 answer.
function M.fields(ctx, check, ...)
  local body, bad = respond.read_json(ctx)
  if body == nil then
    return nil, bad
  end
  local fields, err = check(body, ...)
  if not fields then
    return nil, respond.detail(400, err)
  end
  return fields
end

-- The handlers of one collection (each takes (ctx, principal, org_id, id), as the router
-- calls them), given
--   holds(rec, principal, org_id): whether the collection holds the token rec
--   page(principal, org_id, offset, limit) -> its tokens from offset, and their total
-- c.with_token(fn) makes a handler that calls fn(ctx, principal, org_id, rec) with the
-- token of the path's id, or answers 404.
function M.new(holds, page)
  local c = {}

  function c.list(ctx, principal, org_id)
    return lists.answer(ctx, function(offset, limit)
      local recs, total = page(principal, org_id, offset, limit)
      local items = {}
      for i, rec in ipairs(recs) do
        items[i] = M.view_json(rec, false)
      end
      return items, total
    end)
  end

  function c.with_token(fn)
    return function(ctx, principal, org_id, id)
      local rec = store.get(id)
      if not (rec and holds(rec, principal, org_id)) then
        return respond.detail(404, NOT_FOUND)
      end
      return fn(ctx, principal, org_id, rec)
    end
  end

  c.get = c.with_token(function(_, _, _, rec)
    return respond.raw(200, M.view_json(rec, false))
  end)

  c.delete = c.with_token(function(_, _, _, rec)
    store.delete(rec)
    return respond.raw(200, "")
  end)

  return c
end

return M
