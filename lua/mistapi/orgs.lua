--- The orgs the client's credentials reach: every org an `org` privilege of
-- `GET /api/v1/self` names, and every org of each MSP an `msp` privilege
-- names (`GET /api/v1/msps/{msp_id}/orgs`, every page). What
-- `client:list_orgs()` and `client:each_org()` give, and what the CLI's
-- `--all-orgs` runs over.
-- @module mistapi.orgs

local errors = require "mistapi.errors"
local pager = require "mistapi.pager"
local result = require "mistapi.result"

local orgs = {}

local function is_id(v)
  return type(v) == "string" and v:match("^%x+%-%x+%-%x+%-%x+%-%x+$") ~= nil and #v == 36
end

-- Adds org `o` (id, name, role, msp_id, msp_name) once; a second privilege
-- on the same org that makes its holder admin there (what an org's tokens
-- need) makes the org's role admin.
local function add(list, seen, o)
  local id = o.id:lower()
  local have = seen[id]
  if have then
    if o.role == "admin" then have.role = o.role end
    return
  end
  o.id = id
  seen[id] = o
  list[#list + 1] = o
end

local function str(v) return type(v) == "string" and v or nil end

--- Every org the client reaches, in the order `/self` names them (an MSP's
-- orgs where its privilege stands, in the MSP's order), each once.
-- @param client the client
-- @param[opt] opts `progress` (called after each page of an MSP's orgs), `limit` (the page size, 1 to 1000)
-- @return a result whose `data` is an array of `{ id, name, role, msp_id, msp_name }`
--   (`role`: the first privilege's on that org, or admin when any makes it admin), or nil and an error
function orgs.list(client, opts)
  if opts ~= nil and type(opts) ~= "table" then error("list_orgs: opts must be a table", 2) end
  opts = opts or {}
  local me, err = client:get_self()
  if not me then return nil, err end
  local privileges = type(me.data) == "table" and me.data.privileges
  if type(privileges) ~= "table" then privileges = {} end
  local list, seen, attempts = {}, {}, me.attempts or 1
  for _, p in ipairs(privileges) do
    if type(p) == "table" and p.scope == "org" and is_id(p.org_id) then
      add(list, seen, { id = p.org_id, name = str(p.name), role = str(p.role), msp_id = str(p.msp_id),
        msp_name = str(p.msp_name) })
    elseif type(p) == "table" and p.scope == "msp" and is_id(p.msp_id) then
      local res, merr = client:get_all("/api/v1/msps/" .. p.msp_id:lower() .. "/orgs",
        { limit = opts.limit or pager.MAX_LIMIT, progress = opts.progress })
      if not res then return nil, merr end
      attempts = attempts + (res.attempts or 1)
      for _, o in ipairs(res.data) do
        if type(o) == "table" and is_id(o.id) then
          add(list, seen, { id = o.id, name = str(o.name), role = str(p.role), msp_id = p.msp_id:lower(),
            msp_name = str(p.name) })
        end
      end
    end
  end
  return result.new(list, { status = 200, headers = {} }, attempts)
end

--- Every org the client reaches, for a generic `for`; raises on error, as
-- `each_org_api_token` does.
function orgs.each(client, opts)
  local res, err = orgs.list(client, opts)
  if not res then error(err, 2) end
  local i = 0
  return function()
    i = i + 1
    return res.data[i]
  end
end

--- The org ids of a file: one a line; blank lines and `#` comments skipped.
-- @return an array of lower-cased ids, or nil and a validation error naming the line
function orgs.read_file(path)
  local f, oerr = io.open(path, "r")
  if not f then return nil, errors.validation(("%s: %s"):format(path, tostring(oerr):gsub("^[^:]*: ", ""))) end
  local ids, n = {}, 0
  for line in f:lines() do
    n = n + 1
    local word = line:gsub("#.*$", ""):match("^%s*(.-)%s*$")
    if word ~= "" then
      if not is_id(word) then
        f:close()
        return nil, errors.validation(("%s:%d: not an org id (a UUID)"):format(path, n))
      end
      ids[#ids + 1] = word:lower()
    end
  end
  f:close()
  return ids
end

--- One line of usage a function, for help().
orgs.usage = {
  list_orgs = "client:list_orgs()   -- every org /self's privileges reach (an MSP's orgs too): res.data",
  each_org = "for org in client:each_org() do ... end   -- org.id, org.name, org.role, org.msp_id",
}

return orgs
