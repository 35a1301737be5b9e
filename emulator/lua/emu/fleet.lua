-- Many orgs, the MSPs that hold them, and the built-in user's privileges over them: the
-- world a fleet job (audit --all-orgs) reaches through /api/v1/self and
-- /api/v1/msps/{msp_id}/orgs.
--   msp:<msp_id>       the MSP's name
--   msporgs:<msp_id>   its org ids in the order they joined, 36 characters each
--   orgmsp:<org_id>    the MSP an org belongs to
--   userprivs          the built-in user's privileges as JSON (absent: admin of the bootstrap org)
-- Made through the control API only (emu.control_fleet).
local dict = require "emu.dict"
local json = require "emu.json"
local boot = require "emu.boot"
local orgs = require "emu.orgs"
local random = require "emu.random"
local store = require "emu.store"

local M = {}

local ID_LEN = 36

local function set(k, v)
  local ok, err = dict:set(k, v)
  if not ok then
    error("emulator state: set failed: " .. tostring(err) .. " (lua_shared_dict emu full?)")
  end
end

function M.msp_name(msp_id)
  return dict:get("msp:" .. msp_id)
end

-- -> the MSP {id, name}
function M.add_msp(id, name)
  id = id or random.uuid()
  set("msp:" .. id, name or ("MSP " .. id:sub(1, 8)))
  if not dict:get("msporgs:" .. id) then
    set("msporgs:" .. id, "")
  end
  return { id = id, name = M.msp_name(id) }
end

-- A new org (known to the API, named, `tokens` tokens seeded), in `msp_id` if given. -> its id
function M.add_org(name, msp_id, tokens, privileges)
  local org_id = random.uuid()
  orgs.set_name(org_id, name)
  if tokens > 0 then
    store.seed(org_id, tokens, "seeded-", privileges)
  else
    set("order:" .. org_id, "") -- known, with no token
  end
  if msp_id then
    set("orgmsp:" .. org_id, msp_id)
    set("msporgs:" .. msp_id, dict:get("msporgs:" .. msp_id) .. org_id)
  end
  return org_id
end

-- The MSP's orgs, `limit` from `offset` (0-based), as GET /api/v1/msps/{id}/orgs shows them.
function M.msp_page(msp_id, offset, limit)
  local order = dict:get("msporgs:" .. msp_id) or ""
  local total = #order / ID_LEN
  local out = {}
  local started = boot.get().started
  for i = offset, math.min(offset + limit, total) - 1 do
    local org = orgs.view(order:sub(i * ID_LEN + 1, (i + 1) * ID_LEN), started)
    org.msp_id = msp_id
    out[#out + 1] = json.encode(org)
  end
  return out, total
end

-- The built-in user's privileges as stored: { {scope = "org"|"msp", role, org_id | msp_id} }
function M.user_privileges()
  local text = dict:get("userprivs")
  if text then
    return json.decode(text)
  end
  return { { scope = "org", role = "admin", org_id = boot.get().org_id } }
end

function M.set_user_privileges(list)
  set("userprivs", json.encode(list))
end

-- Does the built-in user act in org_id with `role` (any role, if nil)? An org-scope
-- privilege on it, or an MSP-scope one on the MSP that holds it.
function M.user_may(org_id, role)
  local msp = dict:get("orgmsp:" .. org_id)
  for _, p in ipairs(M.user_privileges()) do
    if (role == nil or p.role == role) and
      (p.scope == "org" and p.org_id == org_id or p.scope == "msp" and msp ~= nil and p.msp_id == msp) then
      return true
    end
  end
  return false
end

-- The user's role in the MSP, or nil.
function M.msp_role(msp_id)
  for _, p in ipairs(M.user_privileges()) do
    if p.scope == "msp" and p.msp_id == msp_id then
      return p.role
    end
  end
end

-- The user's privileges as /api/v1/self shows them: each with the name of its org or MSP,
-- and an org's MSP (msp_id, msp_name) when it belongs to one.
function M.named_user_privileges()
  local out = {}
  for i, p in ipairs(M.user_privileges()) do
    local q = { scope = p.scope, role = p.role }
    if p.scope == "msp" then
      q.msp_id, q.name = p.msp_id, M.msp_name(p.msp_id)
    else
      q.org_id, q.name = p.org_id, orgs.name(p.org_id)
      local msp = dict:get("orgmsp:" .. p.org_id)
      if msp then
        q.msp_id, q.msp_name = msp, M.msp_name(msp)
      end
    end
    out[i] = q
  end
  return out
end

return M
