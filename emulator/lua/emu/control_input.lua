-- What the control calls (emu.control, emu.control_world) share: the org a call names,
-- and the plain {"ok": true} answer.
local boot = require "emu.boot"
local validate = require "emu.validate"
local respond = require "emu.respond"

local M = {}

function M.ok()
  return respond.json(200, { ok = true })
end

-- The org a body names (org_id; the built-in org when absent), lower-cased, or nil and
-- the 400 answer.
function M.org_of(body)
  local org_id = body.org_id or boot.get().org_id
  if not validate.is_uuid(org_id) then
    return nil, respond.detail(400, "org_id: Must be a valid UUID.")
  end
  return org_id:lower()
end

return M
