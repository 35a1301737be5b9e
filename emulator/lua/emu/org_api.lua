-- GET /api/v1/orgs/{org_id} and the org's sites and site groups lists (spec: getOrg,
-- listOrgSites, listOrgSiteGroups; both lists declare limit/page, so they page as Mist's
-- paged lists do). The router has checked the caller may read the org.
local json = require "emu.json"
local boot = require "emu.boot"
local orgs = require "emu.orgs"
local respond = require "emu.respond"
local lists = require "emu.lists"

local M = {}

function M.get(_, _, org_id)
  return respond.json(200, orgs.view(org_id, boot.get().started))
end

local function lister(kind)
  return function(ctx, _, org_id)
    return lists.answer(ctx, function(offset, limit)
      local items, total = orgs.page(kind, org_id, offset, limit)
      for i, item in ipairs(items) do
        items[i] = json.encode(item)
      end
      return items, total
    end, true)
  end
end

M.sites = lister("sites")
M.sitegroups = lister("sitegroups")

return M
