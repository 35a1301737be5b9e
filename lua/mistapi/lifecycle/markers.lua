--- The names a token carries while a lifecycle run is unfinished, so that the
-- next run (of this release or a later one) recognises what it left:
--   `<name> [rotation of <old id>]`  a rotation's new token, until the old one is gone or kept
--   `<name> [replaced by <new id>]`  an old token a rotation kept (keep_old), until finish
--   `<name> [being created]`         a token apply creates, until its key is stored and proved
-- Ids are hex digits and dashes, in either case. A marked name stays within
-- Mist's limit on names: the name is cut, never inside a UTF-8 character.
-- @module mistapi.lifecycle.markers

local NAME_MAX = require("mistapi.schema").limits.name_max

local markers = {}

-- Each kind: the marker's text before its id (the id and "]" follow), or the whole marker.
local KINDS = {
  { kind = "rotation", open = " [rotation of " },
  { kind = "replaced", open = " [replaced by " },
  { kind = "creating", whole = " [being created]" },
}
for _, k in ipairs(KINDS) do
  local text = (k.open or k.whole):gsub("%p", "%%%0")
  k.pattern = k.open and "^(.*)" .. text .. "([%x%-]+)%]$" or "^(.*)" .. text .. "$"
end

-- `name` cut so that name .. mark fits NAME_MAX bytes, never inside a UTF-8 character.
local function marked(name, mark)
  name = tostring(name or "token")
  if #name + #mark > NAME_MAX then
    local cut = NAME_MAX - #mark
    while cut > 0 and name:byte(cut + 1) and name:byte(cut + 1) >= 0x80 and name:byte(cut + 1) < 0xC0 do
      cut = cut - 1
    end
    name = name:sub(1, cut)
  end
  return name .. mark
end

--- The temporary name of the replacement of `old_id` while it rotates.
function markers.rotation(name, old_id)
  return marked(name, " [rotation of " .. old_id .. "]")
end

--- The name a kept old token gets: it says what replaced it.
function markers.replaced(name, new_id)
  return marked(name, " [replaced by " .. new_id .. "]")
end

--- The temporary name of a token apply creates, until its key is stored and proved.
function markers.creating(name)
  return marked(name, " [being created]")
end

--- What a marked name says.
-- @return kind ("rotation", "replaced" or "creating"), the name before the
--   marker, and the id it names (none for "creating"); or nil for a name
--   that is not marked (or not a string)
function markers.parse(name)
  if type(name) ~= "string" then return nil end
  for _, k in ipairs(KINDS) do
    local base, id = name:match(k.pattern)
    if base then return k.kind, base, id end
  end
  return nil
end

--- Whether `name` is one of the temporary names above (any id).
function markers.is_marked(name)
  return markers.parse(name) ~= nil
end

--- `name` without its markers, each kind taken off once, outermost first (a
-- rotation of a kept or half-made token stacks them).
function markers.base(name)
  for _, k in ipairs(KINDS) do
    name = name:match(k.pattern) or name
  end
  return name
end

return markers
