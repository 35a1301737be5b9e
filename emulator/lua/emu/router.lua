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
local session_api = require "emu.session_api"
local control = require "emu.control"

local M = {}

local RATE_DETAIL = "Too Many Request. The API Token used for the request reached the %d API Calls per hour threshold"

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

-- Resolve the route: -> handler, needs_auth, org_id, id | nil, answer
local function route(ctx)
  local p = ctx.path:gsub("/+$", "")
  local m = ctx.method
  if p == "/api/v1/login" then
    return m == "POST" and session_api.login or nil, false
  elseif p == "/api/v1/login/two_factor" then
    return m == "POST" and session_api.two_factor or nil, false
  elseif p == "/api/v1/logout" then
    return m == "POST" and session_api.logout or nil, true
  elseif p == "/api/v1/self" then
    return m == "GET" and session_api.self or nil, true
  end
  local org_id, rest = p:match("^/api/v1/orgs/([^/]+)/apitokens(.*)$")
  if not org_id then
    return nil, nil
  end
  if rest == "" then
    local h = (m == "GET" and tokens_api.list) or (m == "POST" and tokens_api.create) or nil
    return h, true, org_id
  end
  local id = rest:match("^/([^/]+)$")
  if not id then
    return nil, nil
  end
  local h = (m == "GET" and tokens_api.get) or (m == "PUT" and tokens_api.update)
    or (m == "DELETE" and tokens_api.delete) or nil
  return h, true, org_id, id
end

local function rate_limited(cfg, retry)
  local headers = {}
  if cfg.retry_after == "seconds" then
    headers["Retry-After"] = tostring(retry)
  elseif cfg.retry_after == "http-date" then
    headers["Retry-After"] = ngx.http_time(ngx.time() + retry)
  end
  return respond.detail(429, RATE_DETAIL:format(cfg.rate_limit), headers)
end

-- The answer of the emulated API, before any "after" fault. Sets ctx.token_id.
local function answer(ctx)
  local handler, needs_auth, org_id, id = route(ctx)
  if needs_auth == nil then
    return respond.detail(404, "Not found.")
  end
  if not handler then
    return method_not_allowed(ctx)
  end
  if not needs_auth then
    return handler(ctx)
  end
  local principal, status, detail = auth.identify(ctx)
  if not principal then
    return respond.detail(status, detail)
  end
  ctx.token_id = principal.token_id
  if principal.kind == "token" then
    local allowed, retry = ratelimit.spend(principal.token_id, ctx.config)
    if not allowed then
      return rate_limited(ctx.config, retry)
    end
  end
  local csrf_ok, csrf_err = auth.check_csrf(principal, ctx)
  if not csrf_ok then
    return respond.detail(403, csrf_err)
  end
  if org_id then
    if not validate.is_uuid(org_id) then
      return respond.detail(404, "Not found.")
    end
    org_id = org_id:lower()
    if not store.org_known(org_id) then
      return respond.detail(404, "Not found.")
    end
    if not auth.is_org_admin(principal, org_id) then
      return respond.detail(403, auth.FORBIDDEN)
    end
  end
  if id then
    if not validate.is_uuid(id) then
      if ctx.config.bad_id_status == 400 then
        return respond.detail(400, "apitoken_id: Must be a valid UUID.")
      end
      return respond.detail(404, "Not found.")
    end
    id = id:lower()
  end
  return handler(ctx, principal, org_id, id)
end

local function log_entry(ctx, status, fault)
  reqlog.add{
    method = ctx.method, path = ctx.path, query = ngx.var.args, token_id = ctx.token_id or json.null,
    status = status, fault = fault and fault.kind or json.null,
  }
end

local function api(ctx)
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
  if ctx.path:sub(1, 11) == "/_emulator/" then
    return respond.send(respond.detail(404, "no such control endpoint"))
  end
  return api(ctx)
end

return M
