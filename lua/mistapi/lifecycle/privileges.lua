--- Privileges and src_ips compared as sets: the server adds fields of its own
-- (`org_id`, `name`, `org_name` in /self), may reorder a list, and writes an
-- absent `views` as nothing, so two lists are equal when their canonical
-- forms are.
-- @module mistapi.lifecycle.privileges

local display = require "mistapi.display"
local ip = require "mistapi.lifecycle.ip"
local schema = require "mistapi.schema"

local privileges = {}

-- Which id field each scope takes (site -> site_id), from the schema.
local SCOPE_ID = display.SCOPE_ID

local function lower(v)
  return type(v) == "string" and v:lower() or ""
end

--- One privilege as a string that is equal for equal privileges.
function privileges.canonical(p)
  local views = {}
  if type(p.views) == "table" then
    for i = 1, #p.views do views[i] = tostring(p.views[i]) end
    table.sort(views)
  end
  local id = SCOPE_ID[p.scope] and lower(p[SCOPE_ID[p.scope]]) or ""
  return table.concat({ tostring(p.role), tostring(p.scope), id, table.concat(views, ",") }, "|")
end

local function sorted_set(list, canon)
  local out, seen = {}, {}
  if type(list) == "table" then
    for i = 1, #list do
      local c = canon(list[i])
      if not seen[c] then
        seen[c] = true
        out[#out + 1] = c
      end
    end
  end
  table.sort(out)
  return table.concat(out, "\n")
end

--- Whether two privilege lists grant the same.
function privileges.same(a, b)
  return sorted_set(a, privileges.canonical) == sorted_set(b, privileges.canonical)
end

--- Whether two src_ips lists allow the same sources (nil and {} both mean
-- "anywhere"; each entry in mistapi.lifecycle.ip's one spelling).
function privileges.same_ips(a, b)
  return sorted_set(a, ip.canonical) == sorted_set(b, ip.canonical)
end

--- A src_ips list as one string, equal for lists that allow the same sources.
function privileges.ips_key(list)
  return sorted_set(list, ip.canonical)
end

--- A privilege list as one string, equal for lists that grant the same.
function privileges.key(list)
  return sorted_set(list, privileges.canonical)
end

--- The writable fields of a privilege, for a request body (the server's own
-- `org_id`, `name`... left out).
function privileges.plain(p)
  local out = {}
  for _, f in ipairs(schema.privilege.fields) do
    local v = p[f.name]
    if f.writable and f.type == "views" then
      if type(v) == "table" and #v > 0 then
        out[f.name] = {}
        for i = 1, #v do out[f.name][i] = v[i] end
      end
    elseif f.writable then
      out[f.name] = v
    end
  end
  return out
end

function privileges.plain_all(list)
  local out = {}
  for i = 1, #(list or {}) do out[i] = privileges.plain(list[i]) end
  return out
end

--- A list as text: `admin@org, read@site:<id>` ("-" when empty).
function privileges.text(list)
  return display.privileges(list, ", ")
end

--- src_ips as text ("anywhere" when empty).
function privileges.ips_text(list)
  if type(list) ~= "table" or #list == 0 then return "anywhere" end
  local parts = {}
  for i = 1, #list do parts[i] = display.scrub(list[i]) end
  return table.concat(parts, ", ")
end

return privileges
