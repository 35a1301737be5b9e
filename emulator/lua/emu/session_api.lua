-- Session auth for the built-in user: login (with optional 2FA), logout, self.
local json = require "emu.json"
local boot = require "emu.boot"
local sessions = require "emu.sessions"
local respond = require "emu.respond"

local M = {}

local function cookies(s)
  return {
    ["Set-Cookie"] = {
      "sessionid=" .. s.id .. "; Path=/; HttpOnly; SameSite=Lax",
      "csrftoken=" .. s.csrf .. "; Path=/; SameSite=Lax",
    },
  }
end

local function body_of(ctx)
  local body, bad = respond.read_json(ctx)
  if body == nil then
    return nil, bad
  end
  if not json.is_object(body) then
    return nil, respond.detail(400, "Invalid data. Expected a dictionary.")
  end
  return body
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
      return respond.detail(400, "Invalid two-factor code.")
    end
    local s = sessions.create(boot.EMAIL, true)
    return respond.json(200, { email = boot.EMAIL }, cookies(s))
  end
  local s = sessions.create(boot.EMAIL, not cfg.two_factor)
  if cfg.two_factor then
    return respond.json(200, { two_factor_required = true }, cookies(s))
  end
  return respond.json(200, { email = boot.EMAIL }, cookies(s))
end

-- POST /api/v1/login/two_factor {two_factor}: completes the session login started.
function M.two_factor(ctx)
  local s = sessions.get(ngx.var.cookie_sessionid)
  if not s then
    return respond.detail(401, "Authentication credentials were not provided.")
  end
  local body, bad = body_of(ctx)
  if not body then
    return bad
  end
  if body.two_factor ~= ctx.config.two_factor_code then
    return respond.detail(400, "Invalid two-factor code.")
  end
  sessions.complete(s)
  return respond.json(200, { email = s.email })
end

-- POST /api/v1/logout (the router already checked the session and its CSRF token)
function M.logout(_, principal)
  if principal.kind == "session" then
    sessions.delete(principal.session.id)
  end
  return respond.json(200, {}, {
    ["Set-Cookie"] = {
      "sessionid=; Path=/; Max-Age=0",
      "csrftoken=; Path=/; Max-Age=0",
    },
  })
end

-- GET /api/v1/self
function M.self(_, principal)
  if principal.kind == "token" then
    local rec = principal.rec
    return respond.json(200, { name = rec.name, privileges = rec.privileges })
  end
  return respond.json(200, {
    email = principal.email,
    first_name = "Emulated",
    last_name = "Admin",
    privileges = { { scope = "org", org_id = principal.org_id, role = "admin", name = "Emulated Org" } },
  })
end

return M
