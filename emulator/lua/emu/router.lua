-- Every request enters here: the control API, or the emulated Mist API with its
-- faults, latency, auth, rate limit, CSRF and permission checks, then the handler.
local json = require "emu.json"
local config = require "emu.config"
local auth = require "emu.auth"
local faults = require "emu.faults"
local ratelimit = require "emu.ratelimit"
local reqlog = require "emu.reqlog"
local respond = require "emu.respond"
local validate = require "emu.validate"
local store = require "emu.store"
local tokens_api = require "emu.tokens_api"
local self_tokens_api = require "emu.self_tokens_api"
local org_api = require "emu.org_api"
local session_api = require "emu.session_api"
local msp_api = require "emu.msp_api"
local control = require "emu.control"

local M = {}

-- The spec's example text word for word: it names Mist's budget (5000 an hour), which a
-- test lowering rate_limit or rate_window does not change.
local RATE_DETAIL = "Too Many Request. The API Token used for the request reached the 5000 API Calls per hour threshold"

local function new_ctx()
  local ctx = {
    method = ngx.req.get_method(),
    path = ngx.var.uri,
    request_uri = ngx.var.request_uri,
    headers = ngx.req.get_headers(100),
    remote_addr = ngx.var.remote_addr,
  }
  local body
  function ctx.body()
    if body == nil then
      ngx.req.read_body()
      body = ngx.req.get_body_data()
      if not body then
        local file = ngx.req.get_body_file()
        local f = file and io.open(file, "rb")
        body = f and f:read("*a") or ""
        if f then
          f:close()
        end
      end
    end
    return body
  end
  function ctx.args()
    return ngx.req.get_uri_args(100)
  end
  return ctx
end

local function method_not_allowed(ctx)
  return respond.detail(405, 'Method "' .. ctx.method .. '" not allowed.')
end

-- Each API path: its pattern (captures: org_id, then an id), its handlers by method, and
-- who may call it: auth = false (anyone), user = true (a person, not an org token),
-- org = "admin" | "reader" (see emu.auth), pending = true (a login still waiting for its
-- second factor may call it), id = true (the last capture is a UUID path id).
local ROUTES = {
  { "^/api/v1/login$", { POST = session_api.login }, auth = false },
  { "^/api/v1/login/two_factor$", { POST = session_api.two_factor }, auth = false },
  { "^/api/v1/logout$", { POST = session_api.logout }, pending = true },
  { "^/api/v1/self$", { GET = session_api.self }, pending = true },
  { "^/api/v1/self/apitokens$", { GET = self_tokens_api.list, POST = self_tokens_api.create }, user = true },
  { "^/api/v1/self/apitokens/([^/]+)$",
    { GET = self_tokens_api.get, PUT = self_tokens_api.update, DELETE = self_tokens_api.delete },
    user = true, id = true },
  { "^/api/v1/msps/[^/]+/orgs$", { GET = msp_api.orgs } },
  { "^/api/v1/orgs/([^/]+)$", { GET = org_api.get }, org = "reader" },
  { "^/api/v1/orgs/([^/]+)/sites$", { GET = org_api.sites }, org = "reader" },
  { "^/api/v1/orgs/([^/]+)/sitegroups$", { GET = org_api.sitegroups }, org = "reader" },
  { "^/api/v1/orgs/([^/]+)/apitokens$", { GET = tokens_api.list, POST = tokens_api.create }, org = "admin" },
  { "^/api/v1/orgs/([^/]+)/apitokens/([^/]+)$",
    { GET = tokens_api.get, PUT = tokens_api.update, DELETE = tokens_api.delete }, org = "admin", id = true },
}

-- -> the route, its handler (nil: method not allowed), org_id, id | nil (no such path)
local function route(ctx)
  local p = ctx.path:gsub("/+$", "")
  for _, r in ipairs(ROUTES) do
    local a, b = p:match(r[1]) -- a is the whole path when the pattern captures nothing
    if a ~= nil then
      local org_id, id
      if r.org then
        org_id, id = a, b
      elseif r.id then
        id = a
      end
      return r, r[2][ctx.method], org_id, id
    end
  end
end

local function rate_limited(cfg, retry)
  local headers = {}
  if cfg.retry_after == "seconds" then
    headers["Retry-After"] = tostring(retry)
  elseif cfg.retry_after == "http-date" then
    headers["Retry-After"] = ngx.http_time(ngx.time() + retry)
  end
  return respond.detail(429, RATE_DETAIL, headers)
end

-- The path id: lower-cased, or nil and the answer to an id that is no UUID.
local function path_id(ctx, id)
  if validate.is_uuid(id) then
    return id:lower()
  end
  if ctx.config.bad_id_status == 400 then
    return nil, respond.detail(400, "apitoken_id: Must be a valid UUID.")
  end
  return nil, respond.detail(404, "Not found.")
end

-- The answer of the emulated API, before any "after" fault. Sets ctx.token_id.
local function answer(ctx)
  local r, handler, org_id, id = route(ctx)
  if not r then
    return respond.detail(404, "Not found.")
  end
  if not handler then
    return method_not_allowed(ctx)
  end
  if r.auth == false then
    return handler(ctx)
  end
  local principal, status, detail = auth.identify(ctx)
  if not principal then
    return respond.detail(status, detail)
  end
  if principal.kind == "pending" and not r.pending then
    return respond.detail(401, auth.NO_CREDENTIALS)
  end
  ctx.token_id = principal.token_id
  if principal.token_id then
    local allowed, retry = ratelimit.spend(principal.token_id, ctx.config)
    if not allowed then
      return rate_limited(ctx.config, retry)
    end
  end
  local csrf_ok, csrf_err = auth.check_csrf(principal, ctx)
  if not csrf_ok then
    return respond.detail(403, csrf_err)
  end
  if r.user and not auth.is_user(principal) then
    return respond.detail(403, auth.FORBIDDEN)
  end
  if r.org then
    if not validate.is_uuid(org_id) then
      return respond.detail(404, "Not found.")
    end
    org_id = org_id:lower()
    if not store.org_known(org_id) then
      return respond.detail(404, "Not found.")
    end
    local allowed = r.org == "admin" and auth.is_org_admin(principal, org_id) or
      r.org == "reader" and auth.can_read_org(principal, org_id)
    if not allowed then
      return respond.detail(403, auth.FORBIDDEN)
    end
  end
  if r.id then
    local bad
    id, bad = path_id(ctx, id)
    if not id then
      return bad
    end
  end
  return handler(ctx, principal, org_id, id)
end

local function log_entry(ctx, status, fault)
  reqlog.add{
    method = ctx.method, path = ctx.path, query = ngx.var.args, token_id = ctx.token_id or json.null,
    status = status, fault = fault and fault.kind or json.null,
    user_agent = ngx.var.http_user_agent or json.null,
    -- when it arrived (epoch seconds, ms): a spec counts each token's calls in any window
    time = ngx.req.start_time(),
  }
end

local function api(ctx)
  reqlog.arrived()
  ngx.ctx.emu_counted = true
  ctx.config = config.get()
  local fault = faults.take(ctx)
  if fault and fault.kind == "latency" then
    ngx.sleep((fault.ms or 1000) / 1000)
  end
  if ctx.config.latency_ms > 0 then
    ngx.sleep(ctx.config.latency_ms / 1000)
  end
  if fault and fault.kind ~= "latency" then
    local res = fault.phase == "after" and answer(ctx) or nil
    log_entry(ctx, faults.status_of(fault, res), fault)
    return faults.deliver(fault, res, ctx)
  end
  local res = answer(ctx)
  log_entry(ctx, res.status, fault)
  return respond.send(res)
end

function M.handle()
  local ctx = new_ctx()
  local name = ctx.path:match("^/_emulator/([%w_]+)/?$")
  if name then
    return respond.send(control.handle(ctx, name))
  end
  local id
  name, id = ctx.path:match("^/_emulator/([%w_]+)/([%w%-]+)/?$")
  if name then
    return respond.send(control.handle(ctx, name, id))
  end
  if ctx.path:sub(1, 11) == "/_emulator/" then
    return respond.send(respond.detail(404, "no such control endpoint"))
  end
  return api(ctx)
end

-- The log phase: an API request is over (answered, cut or dropped).
function M.finished()
  if ngx.ctx.emu_counted then
    reqlog.finished()
  end
end

return M
