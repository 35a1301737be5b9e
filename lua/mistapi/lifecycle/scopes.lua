--- The ids of an org's sites and site groups (`GET /api/v1/orgs/{org_id}/sites`
-- and `.../sitegroups`, every page), for the audit's check of privileges on
-- sites that no longer exist.
-- @module mistapi.lifecycle.scopes

local core = require "mistapi.core"
local errors = require "mistapi.errors"
local pager = require "mistapi.pager"

local scopes = {}

local POLICY = { idempotent = true }

-- One page, decoded as plain JSON (an array, or {results, next}).
local function fetch(pipeline, base_url)
  return function(path)
    local req = { method = "GET", path = path, url = base_url .. path }
    local resp, attempts = pipeline:send(req, POLICY)
    if not resp then return nil, attempts end
    local data, msg = core.decode(resp.body)
    if type(data) ~= "table" then
      return nil, errors.new("decode", "the answer is not a JSON list: " .. tostring(msg or type(data)), {
        status = resp.status, method = "GET", path = path })
    end
    return { data = data, headers = resp.headers }
  end
end

--- The set of ids of the org's `what` ("sites" or "sitegroups").
-- @return { [id] = true } (ids lower-cased), or nil and an error
function scopes.ids(client, org_id, what)
  local path = "/api/v1/orgs/" .. org_id .. "/" .. what
  local next_item = pager.walk(fetch(client.pipeline, client.settings.base_url), path, { limit = 1000 },
    client.settings.base_url)
  local ids = {}
  while true do
    local item, err = next_item()
    if err then return nil, err end
    if item == nil then break end
    if type(item) == "table" and type(item.id) == "string" then ids[item.id:lower()] = true end
  end
  return ids
end

return scopes
