--- The one "may have made" rule of every create (rotate, apply's create and
-- replace, the CLI's create and self create): after it, either the caller
-- holds the new token with its whole key, or no token this create made is
-- left, or the error says exactly which token is left with its key lost.
--
-- A create whose answer is lost or unusable (the connection lost after the
-- request went out, a 5xx, a 2xx cut short or not JSON, a list without the
-- token) may still have made the token. Then: the whole keys the raw answer
-- holds are kept aside; the tokens are listed, and each one named as asked
-- that did not exist before the create is this create's: the one whose
-- masked key matches a key from the answer is kept (recovered), the others
-- are deleted (their key is lost). Tokens that existed before are never
-- touched, whatever their name.
-- @module mistapi.lifecycle.made

local errors = require "mistapi.errors"

local made = {}

local mask, is_masked = require("mistapi.text").mask, require("mistapi.text").is_masked

--- Whether a create that failed with `err` may still have made the token
-- (a timeout, a connection lost after sending, a 5xx, an answer unreadable).
function made.may_have_made(err)
  if not errors.is_error(err) then return false end
  if err.kind == "http" then return (err.status or 0) >= 500 end
  if err.kind == "transport" then return err.reached ~= false end
  return err.kind == "timeout" or err.kind == "decode"
end

--- The ids of a token list, as a set.
function made.ids(list)
  local set = {}
  for _, t in ipairs(list or {}) do
    if t.id then set[t.id] = true end
  end
  return set
end

local function whole(t)
  return type(t) == "table" and type(t.id) == "string" and type(t.key) == "string" and t.key ~= ""
    and not is_masked(t.key)
end

-- Whether token `p` may be the one this create made: new, and named as
-- asked (any new one when no name was asked for).
local function ours(p, name, known)
  return type(p) == "table" and p.id ~= nil and not known[p.id] and (name == nil or p.name == name)
end

-- The new token in a create's answer: the token itself, or, in a list (a
-- self create answers one), the one of ours with its whole key.
local function pick(data, name, known)
  if type(data) ~= "table" then return nil end
  if data[1] == nil then return whole(data) and data or nil end
  for _, t in ipairs(data) do
    if whole(t) and ours(t, name, known) then return t end
  end
  return nil
end

-- The whole keys a raw answer holds (never a masked one).
local function keys_in(body, data)
  local keys = {}
  if type(body) == "string" then
    for k in body:gmatch('"key"%s*:%s*"([^"\\]+)"') do
      if #k >= 12 and not is_masked(k) then keys[#keys + 1] = k end
    end
  end
  if type(data) == "table" then
    for _, t in ipairs(data[1] ~= nil and data or { data }) do
      if type(t) == "table" and type(t.key) == "string" and not is_masked(t.key) then keys[#keys + 1] = t.key end
    end
  end
  return keys
end

local function key_for(keys, shown)
  if type(shown) ~= "string" then return nil end
  for _, k in ipairs(keys) do
    if mask(k) == shown then return k end
  end
  return nil
end

--- Creates a token through target `t` by the rule above.
-- @param t a mistapi.lifecycle.target
-- @param body the request body; `body.name` names the token (unique to the run where it matters)
-- @param known the set of ids that existed before (made.ids of a list), or nil: listed first
-- @return the new token (its whole key in `key`; `recovered = true` when
--   it came from a lost answer; `left`: other tokens of that name it made
--   and could not delete, in words), or nil, the error, and what exists now in
--   words ("no token was made", "... was deleted", "token ID was made and its
--   key is lost ...")
function made.create(t, body, known)
  local valid, verr = t:check(body)
  if not valid then return nil, verr, "nothing was changed" end
  if not known then
    local list, lerr = t:list()
    if not list then return nil, lerr, "nothing was changed" end
    known = made.ids(list)
  end
  local data, err = t:create(body)
  local token = pick(data, body.name, known)
  if token then return token end
  if data ~= nil then
    err = errors.new("decode", "the create's answer holds no new token with its whole key")
  elseif not made.may_have_made(err) then
    return nil, err, "no token was made"
  end
  local keys = keys_in(err.body, data)
  -- handled here from now on: the error keeps no key (recovered, or its token deleted)
  if #keys > 0 then err.body = errors.redact(err.body, keys) end
  local list, lerr = t:list()
  if not list then
    return nil, err, ("a token named %q may have been made, its key lost; listing the tokens to find it failed"
      .. " (%s): look for it and delete it"):format(errors.tidy(tostring(body.name)), errors.tidy(tostring(lerr)))
  end
  local gone, stuck = {}, {}
  for _, p in ipairs(list) do
    if ours(p, body.name, known) then
      local key = not token and key_for(keys, p.key)
      if key then
        p.key, p.recovered = key, true
        token = p
      else
        local _, derr = t:delete(p.id)
        if derr and not (errors.is_error(derr) and derr:is_not_found()) then
          stuck[#stuck + 1] = ("%s (%s)"):format(p.id, errors.tidy(tostring(derr)))
        else
          gone[#gone + 1] = p.id
        end
      end
    end
  end
  if token then
    token.left = #stuck > 0 and table.concat(stuck, ", ") or nil
    return token
  end
  if #stuck > 0 then
    return nil, err, ("token %s was made and its key is lost; deleting it failed: delete it by hand"):format(
      table.concat(stuck, ", "))
  end
  if #gone > 0 then
    return nil, err, ("the token the server made all the same (%s) was deleted: its key was lost"):format(
      table.concat(gone, ", "))
  end
  return nil, err, "no token was made"
end

--- Whether token `id` is surely gone after its DELETE failed with `err`: the
-- DELETE answered 404, or its answer was lost (the request may have been
-- carried out) and a GET now answers 404. A message that says "both tokens
-- work" must not follow a DELETE that was done.
-- @return true (gone), false (it still exists), or nil (that can't be told now)
function made.deleted(t, id, err)
  if not err then return true end
  if errors.is_error(err) and err:is_not_found() then return true end
  if not made.may_have_made(err) then return false end
  local still, gerr = t:get(id)
  if still then return false end
  if errors.is_error(gerr) and gerr:is_not_found() then return true end
  return nil
end

--- Whether an update of token `id` to `name` that failed with `err` was
-- carried out all the same (its answer lost, and a GET shows the new name).
function made.renamed(t, id, name, err)
  if not made.may_have_made(err) then return false end
  local now = t:get(id)
  return type(now) == "table" and now.name == name
end

--- What the caller's store holds for a token a run stopped with (under a
-- temporary name of ours): `load(token, name)` asked.
-- @param replaced the token being replaced, or nil: a store that still holds its key
--   (a key file replaced in place, stopped before the new key came) holds none of this one's
-- @return the key (a string that is that token's, as far as its masked key
--   shows), or false when the store provably holds none of its key (load
--   returned nothing, or the key of the token replaced), or nil when that
--   can't be told (no load, load raised, or the key of some other token:
--   the user decides)
function made.held(load, token, name, replaced)
  if not load then return nil end
  local ok, key = pcall(load, token, name)
  if not ok then return nil end
  if type(key) ~= "string" or key == "" then return false end
  local shown = is_masked(token.key) and token.key
  if shown and mask(key) ~= shown then
    if replaced and type(replaced.key) == "string" and mask(key) == replaced.key then return false end
    return nil, "the key load gave is not that token's"
  end
  return key
end

--- Deletes a new token after a later step failed (store, verify); the
-- store's `discard` is told only once the token is surely gone (the DELETE
-- answered 2xx or 404): while it lives, its key stays where it was stored.
-- @param t the target
-- @param new the new token
-- @param stored whether its key is in the store
-- @param discard the store's discard function, or nil
-- @param name the name the store knows the key by
-- @return the words for the new token's state, and whether it is gone
function made.undo(t, new, stored, discard, name)
  local _, derr = t:delete(new.id)
  if made.deleted(t, new.id, derr) ~= true then
    return ("the new token %s could not be deleted (%s)%s"):format(new.id, errors.tidy(tostring(derr)),
      stored and "; its key is kept in the store: re-run with load to finish, or delete the token by hand"
      or " and its key was not stored: delete it by hand"), false
  end
  if stored and discard then pcall(discard, new, name) end
  return "the new token was deleted", true
end

return made
