-- What the control calls (emu.control, emu.control_world) share: a body that must be a
-- JSON object, the org a call names, and the plain {"ok": true} answer.
local json = require "emu.json"
local boot = require "emu.boot"
local validate = require "emu.validate"
local respond = require "emu.respond"

local M = {}

function M.ok()
  return respond.json(200, { ok = true })
end

-- The request's JSON body when it is an object, or nil and the 400 answer; `usage` says
-- what the call takes.
function M.object(ctx, usage)
  local body, bad = respond.read_json(ctx)
  if not body then
    return nil, bad
  end
  if not json.is_object(body) then
    return nil, respond.detail(400, usage)
  end
  return body
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
