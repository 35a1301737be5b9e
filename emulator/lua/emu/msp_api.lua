-- GET /api/v1/msps/{msp_id}/orgs: the MSP's orgs, paged as Mist's paged lists are. Only a
-- person with a privilege on that MSP may list them; an org token never may.
local auth = require "emu.auth"
local fleet = require "emu.fleet"
local lists = require "emu.lists"
local respond = require "emu.respond"
local validate = require "emu.validate"

local M = {}

function M.orgs(ctx, principal)
  local msp_id = ctx.path:match("^/api/v1/msps/([^/]+)/orgs")
  if not validate.is_uuid(msp_id) then
    return respond.detail(404, "Not found.")
  end
  msp_id = msp_id:lower()
  if not fleet.msp_name(msp_id) then
    return respond.detail(404, "Not found.")
  end
  if not auth.is_user(principal) or not fleet.msp_role(msp_id) then
    return respond.detail(403, auth.FORBIDDEN)
  end
  return lists.answer(ctx, function(offset, limit)
    return fleet.msp_page(msp_id, offset, limit)
  end, true)
end

return M
