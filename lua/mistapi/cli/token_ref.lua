--- A token named on the command line by its id or by its name. Ids change at
-- every rotation and names are what people remember, so every command that
-- takes an ID takes a NAME too: an exact, unique name in the org (or among
-- your own tokens) stands for its token's id; two tokens of one name are an
-- error that lists their ids. `rotate NAME --finish` looks for the token a
-- kept rotation renamed `NAME [replaced by NEW_ID]`.
-- @module mistapi.cli.token_ref

local collection = require "mistapi.cli.collection"
local core = require "mistapi.core"
local display = require "mistapi.display"
local errors = require "mistapi.errors"
local markers = require "mistapi.lifecycle.markers"

local token_ref = {}

local function ids_of(list)
  local ids = {}
  for i, t in ipairs(list) do ids[i] = display.scrub(t.id) end
  return table.concat(ids, ", ")
end

--- Is `ref` an id rather than a name? Hex digits and dashes only (a UUID, or
-- one mistyped, which the API call then refuses as a malformed id).
function token_ref.is_id(ref)
  return core.is_uuid(ref) or (ref:find("-", 1, true) ~= nil and ref:match("^[%x%-]+$") ~= nil)
end

--- The token `ref` names.
-- @param ctx the command's context (client, org)
-- @param ref an id or a name
-- @param how { own = true for your own tokens, retired = true for a kept rotation's old token }
-- @return id, name (nil when `ref` was an id), or nil and a mistapi error
function token_ref.resolve(ctx, ref, how)
  how = how or {}
  if token_ref.is_id(ref) then return ref end
  local res, err = collection.call(ctx, not how.own, "list_all")
  if not res then return nil, err end
  local exact, retired = {}, {}
  for _, t in ipairs(res.data) do
    if t.name == ref then exact[#exact + 1] = t end
    if how.retired then
      local kind, base = markers.parse(t.name)
      if kind == "replaced" and base == ref then retired[#retired + 1] = t end
    end
  end
  local found = how.retired and #retired > 0 and retired or exact
  local shown = display.scrub(ref)
  local where = how.own and "among your own tokens" or "in org " .. display.scrub(ctx.org)
  if #found == 0 then   -- as a 404 for an id: the same exit status
    return nil, errors.new("http", ('no token named "%s" %s (see mistapi-tokens %s)')
      :format(shown, where, how.own and "self list" or "list"), { status = 404 })
  end
  if #found > 1 then
    return nil, errors.new("validation", ('%d tokens are named "%s" %s: %s; give the id')
      :format(#found, shown, where, ids_of(found)))
  end
  return found[1].id, found[1].name
end

return token_ref
