--- The ids of an org's sites and site groups (`GET /api/v1/orgs/{org_id}/sites`
-- and `.../sitegroups`, every page), for the audit's check of privileges on
-- sites that no longer exist.
-- @module mistapi.lifecycle.scopes

local scopes = {}

--- The set of ids of the org's `what` ("sites" or "sitegroups").
-- @return { [id] = true } (ids lower-cased), or nil and an error
function scopes.ids(client, org_id, what)
  local res, err = client:get_all("/api/v1/orgs/" .. org_id .. "/" .. what, { limit = 1000 })
  if not res then return nil, err end
  local ids = {}
  for _, item in ipairs(res.data) do
    if type(item) == "table" and type(item.id) == "string" then ids[item.id:lower()] = true end
  end
  return ids
end

return scopes
