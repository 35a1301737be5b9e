--- A privilege option, ROLE:SCOPE[:ID] with its views, as a privilege table.
-- Only the shape is checked here; the C core checks the values (roles,
-- scopes, UUIDs, views) when the body is encoded.
-- @module mistapi.cli.privilege

local schema = require "mistapi.schema"

local privilege = {}

-- Which id field each scope takes (site -> site_id)
local SCOPE_ID = require("mistapi.display").SCOPE_ID

--- @param p { text = "read:site:<uuid>", views = { ... } }
-- @return the privilege table, or nil and a usage message
function privilege.parse(p)
  local role, scope, id = p.text:match("^([^:]*):([^:]*):?(.*)$")
  if not role or role == "" or scope == "" then
    return nil, ('--privilege "%s": expected ROLE:SCOPE or ROLE:SCOPE:ID, as admin:org or read:site:<uuid>')
      :format(p.text)
  end
  local t = { role = role, scope = scope }
  if id ~= "" then
    if not SCOPE_ID[scope] then
      local takes = {}
      for _, name in ipairs(schema.scopes) do
        if SCOPE_ID[name] then takes[#takes + 1] = name end
      end
      return nil, ('--privilege "%s": only %s scopes take an id'):format(p.text, table.concat(takes, " and "))
    end
    t[SCOPE_ID[scope]] = id
  end
  if #p.views > 0 then t.views = p.views end
  return t
end

--- All privileges of the command line, or nil when none was given.
function privilege.parse_all(list)
  if #list == 0 then return nil end
  local out = {}
  for i, p in ipairs(list) do
    local t, err = privilege.parse(p)
    if not t then return nil, err end
    out[i] = t
  end
  return out
end

return privilege
