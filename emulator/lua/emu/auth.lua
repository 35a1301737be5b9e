-- Who is calling: an API token (Authorization: Token <key>), the built-in user by
-- Basic auth, or a login session cookie. -> principal | nil, status, detail
local store = require "emu.store"
local sessions = require "emu.sessions"
local boot = require "emu.boot"
local ip = require "emu.ip"

local M = {}

M.NO_CREDENTIALS = "Authentication credentials were not provided."
M.FORBIDDEN = "You do not have permission to perform this action."

local function by_token(key, ctx)
  local id = key ~= "" and store.id_for_key(key)
  local rec = id and store.get(id)
  if not rec then
    return nil, 401, M.NO_CREDENTIALS
  end
  if rec.src_ips then
    local allowed = false
    for _, s in ipairs(rec.src_ips) do
      local net = ip.parse(s)
      if net and ip.contains(net, ctx.remote_addr) then
        allowed = true
        break
      end
    end
    if not allowed then
      return nil, 403, "Source IP " .. ctx.remote_addr .. " is not allowed for this token."
    end
  end
  store.touch(rec.id, ngx.time())
  if rec.user then
    -- a user's own token acts as its user (the built-in one: the only user there is)
    return { kind = "user_token", token_id = rec.id, rec = rec, email = rec.user, org_id = boot.get().org_id }
  end
  return { kind = "token", token_id = rec.id, rec = rec, org_id = rec.org_id }
end

local function by_password(encoded)
  local plain = ngx.decode_base64(encoded or "")
  local email, password = (plain or ""):match("^([^:]*):(.*)$")
  local b = boot.get()
  if email and email:lower() == boot.EMAIL and password == b.password then
    return { kind = "basic", email = boot.EMAIL, org_id = b.org_id }
  end
  return nil, 401, "Invalid username/password."
end

function M.identify(ctx)
  local h = ctx.headers.authorization
  if type(h) == "table" then
    h = h[1]
  end
  if h then
    local scheme, rest = h:match("^(%S+)%s+(%S+)%s*$")
    scheme = scheme and scheme:lower()
    if scheme == "token" then
      return by_token(rest, ctx)
    elseif scheme == "basic" then
      return by_password(rest)
    end
    return nil, 401, M.NO_CREDENTIALS
  end
  local s = sessions.get(ngx.var.cookie_sessionid)
  if s then
    -- "pending": logged in, second factor not given yet; the router lets it reach
    -- /api/v1/self and /api/v1/logout only
    return { kind = s.complete and "session" or "pending", email = s.email, org_id = boot.get().org_id, session = s }
  end
  return nil, 401, M.NO_CREDENTIALS
end

-- Is the caller a person (by password, session or one of their own tokens), not an org token?
function M.is_user(principal)
  return principal.kind ~= "token"
end

-- Writes through a session need X-CSRFToken equal to the session's csrftoken cookie.
function M.check_csrf(principal, ctx)
  if not principal.session or ctx.method == "GET" or ctx.method == "HEAD" then
    return true
  end
  local sent = ctx.headers["x-csrftoken"]
  if type(sent) == "table" then
    sent = sent[1]
  end
  if not sent or sent == "" then
    return nil, "CSRF Failed: CSRF token missing."
  elseif sent ~= principal.session.csrf then
    return nil, "CSRF Failed: CSRF token incorrect."
  end
  return true
end

-- Does the caller act in org_id with an org-scope privilege of `role` (any role, if nil)?
-- A person (by password, session or own token) does where their privileges say; an org token when one
-- of its privileges says so.
local function org_privilege(principal, org_id, role)
  if principal.kind ~= "token" then
    -- a person: by the privileges /api/v1/self shows (an org's, or its MSP's)
    return require("emu.fleet").user_may(org_id, role)
  end
  if principal.org_id ~= org_id then
    return false
  end
  for _, p in ipairs(principal.rec.privileges) do
    if p.scope == "org" and (role == nil or p.role == role) then
      return true
    end
  end
  return false
end

-- May this caller manage the org's API tokens? Only an org admin of that org.
function M.is_org_admin(principal, org_id)
  return org_privilege(principal, org_id, "admin")
end

-- May this caller read the org (GET the org, list its sites and site groups)? Its user,
-- or an org token with any privilege at org scope in that org.
function M.can_read_org(principal, org_id)
  return org_privilege(principal, org_id, nil)
end

return M
