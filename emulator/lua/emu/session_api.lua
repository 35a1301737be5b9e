-- Session auth for the built-in user: login (with optional 2FA), logout, self.
-- Facts from the spec (login, twoFactor, logout, getSelf) and from Mist's behaviour a
-- real client relies on; see docs/emulator.md, "Login, two-factor and /self".
local json = require "emu.json"
local boot = require "emu.boot"
local orgs = require "emu.orgs"
local sessions = require "emu.sessions"
local respond = require "emu.respond"
local store = require "emu.store"

local M = {}

local BAD_CODE = "Invalid two-factor code."
local PHONE = "14155550100" -- a number kept for fiction
local SESSION_EXPIRY = 1440 -- minutes; the spec's default for an org

-- Over TLS the cookies carry Secure, as a browser-facing API's must.
local function cookie_attrs(extra)
  local a = "; Path=/" .. (extra or "")
  if ngx.var.scheme == "https" then
    a = a .. "; Secure"
  end
  return a
end

local function cookies(s)
  return {
    ["Set-Cookie"] = {
      "sessionid=" .. s.id .. cookie_attrs("; HttpOnly; SameSite=Lax"),
      "csrftoken=" .. s.csrf .. cookie_attrs("; SameSite=Lax"),
    },
  }
end

local function body_of(ctx)
  return respond.read_object(ctx, "Invalid data. Expected a dictionary.")
end

-- POST /api/v1/login {email, password [, two_factor]}
function M.login(ctx)
  local body, bad = body_of(ctx)
  if not body then
    return bad
  end
  local b = boot.get()
  if type(body.email) ~= "string" or body.email:lower() ~= boot.EMAIL or body.password ~= b.password then
    return respond.detail(400, "Invalid email or password.")
  end
  local cfg = ctx.config
  if cfg.two_factor and body.two_factor ~= nil then
    if body.two_factor ~= cfg.two_factor_code then
      return respond.detail(401, BAD_CODE)
    end
    local s = sessions.create(boot.EMAIL, true)
    return respond.json(200, { email = boot.EMAIL }, cookies(s))
  end
  local s = sessions.create(boot.EMAIL, not cfg.two_factor)
  if cfg.two_factor then
    -- the spec's LoginSuccess "2FA-required" example
    return respond.json(200, { email = boot.EMAIL, two_factor_required = true, two_factor_passed = false },
      cookies(s))
  end
  return respond.json(200, { email = boot.EMAIL }, cookies(s))
end

-- POST /api/v1/login/two_factor {two_factor}: completes the session login started.
-- 401: no login yet or a wrong code; 404: the user has no two-factor (the spec's words).
function M.two_factor(ctx)
  local s = sessions.get(ngx.var.cookie_sessionid)
  if not s then
    return respond.detail(401, "Authentication credentials were not provided.")
  end
  local body, bad = body_of(ctx)
  if not body then
    return bad
  end
  if not ctx.config.two_factor then
    return respond.detail(404, "Two-factor authentication is not enabled for this user.")
  end
  if body.two_factor ~= ctx.config.two_factor_code then
    return respond.detail(401, BAD_CODE)
  end
  sessions.complete(s)
  return respond.json(200, { email = s.email })
end

-- POST /api/v1/logout (the router already checked the session and its CSRF token)
function M.logout(_, principal)
  if principal.session then
    sessions.delete(principal.session.id)
  end
  return respond.json(200, {}, {
    ["Set-Cookie"] = {
      "sessionid=" .. cookie_attrs("; Max-Age=0"),
      "csrftoken=" .. cookie_attrs("; Max-Age=0"),
    },
  })
end

-- The built-in user's privileges: admin of the bootstrap org unless the control API set others.
function M.user_privileges()
  return require("emu.fleet").named_user_privileges()
end

-- GET /api/v1/self
function M.self(ctx, principal)
  if principal.kind == "token" then
    local rec = principal.rec
    return respond.json(200, { name = rec.name,
      privileges = store.shown_privileges(orgs.named_privileges(rec.privileges, rec.org_id)) })
  end
  if principal.kind == "pending" then
    -- between the two login steps Mist answers 200 with no privileges; a client reads
    -- two_factor_required here to know it must ask for the code
    return respond.json(200, { email = principal.email, privileges = json.null,
      two_factor_required = true, two_factor_passed = false })
  end
  local two_factor = ctx.config.two_factor
  return respond.json(200, {
    email = principal.email,
    first_name = "Emulated",
    last_name = "Admin",
    phone = PHONE,
    via_sso = false,
    tags = json.EMPTY_ARRAY,
    two_factor_required = two_factor,
    two_factor_passed = two_factor and principal.kind == "session",
    session_expiry = SESSION_EXPIRY,
    privileges = M.user_privileges(),
  })
end

return M
