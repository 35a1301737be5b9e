--- mistapi: the Lua client for the Mist API's Org API Tokens.
-- @usage
-- local mistapi = require "mistapi"
-- local client = assert(mistapi.new{ host = "api.eu.mist.com" })  -- token from MIST_APITOKEN
-- local tokens = client:orgs_api_tokens()
-- local res, err = tokens:list_org_api_tokens(org_id)
-- @module mistapi

local config = require "mistapi.config"
local errors = require "mistapi.errors"
local operations = require "mistapi.operations"
local pipeline = require "mistapi.pipeline"
local budget = require "mistapi.budget"
local transport = require "mistapi.transport"
local resources = require "mistapi.resources"
local result = require "mistapi.result"

-- What only some programs use loads on first use, so `require "mistapi"`
-- stays cheap: the resources' classes (on the first client:<accessor>()),
-- login sessions, client:request, and the printing of tokens and results.
local function lazy(name)
  return function() return require(name) end
end
local resource, request, auth, display = lazy "mistapi.resource", lazy "mistapi.request",
  lazy "mistapi.auth", lazy "mistapi.display"

-- A readable tostring for tokens, privileges and results: display.lua loads
-- on the first one and puts its own functions in these metatables. The
-- core's metatables are made here when it hasn't made them yet
-- (luaL_newmetatable keeps an existing one).
do
  local reg = debug.getregistry()
  local function printed(mt, how)
    mt.__tostring = function(v) return display()[how](v) end
  end
  for name, how in pairs({ ["mistapi.Token"] = "token", ["mistapi.UserToken"] = "user_token",
                           ["mistapi.Privilege"] = "privilege" }) do
    if type(reg[name]) ~= "table" then reg[name] = {} end
    -- the core's luaL_newmetatable, when it came first, set no __name on Lua 5.1
    reg[name].__name = name
    if not reg[name].__tostring then printed(reg[name], how) end
  end
  if not result.mt.__tostring then printed(result.mt, "result") end
end

local mistapi = {
  _VERSION = config.VERSION,
  errors = errors,
  clouds = require "mistapi.clouds",
  operations = operations,
}

local Client = { __name = "mistapi.Client" }
Client.__index = Client

--- Makes a client. Wrong option types raise; a configuration that can't
-- work (no token, plain http to a remote host) returns nil and an error.
-- @param opts see the README: base_url | host | cloud, token | tokens,
--   timeout, connect_timeout, max_retries, retry_base, retry_cap, deadline,
--   ca_file, ca_path, proxy, insecure_http, max_body, user_agent, transport,
--   log, pass_unknown_fields, env_file, email, password, two_factor, org_id, clock,
--   budget, budget_limit, budget_window, budget_wait
function mistapi.new(opts)
  local settings, err = config.resolve(opts)
  if not settings then return nil, err end
  local t, terr = transport.open(settings)
  if not t then return nil, terr end
  -- org_id: the option, else MIST_ORG_ID (or the env file); nil when neither says
  -- the budget of each token (memory: this client alone, by default)
  local b, berr = budget.open(settings, t)
  if not b then
    t:close()
    return nil, errors.validation(berr)
  end
  local client = setmetatable({ settings = settings, transport = t, org_id = settings.org_id }, Client)
  client.pipeline = pipeline.new(settings, t, b)
  if #settings.tokens == 0 then
    -- email and password: a login session, opened on the first call or by client:login()
    client.pipeline.auth = auth().new(settings, client.pipeline)
  end
  return client
end

local function session_of(client, name)
  local a = client.pipeline.auth
  if not a then error(name .. ": this client uses API tokens; login needs email and password", 3) end
  return a
end

--- Logs in with the client's email and password; not needed before a call
-- (the first call logs in), but it reports a bad password up front.
-- @param opts optional {two_factor = "123456"}
-- @return a result, or nil, err
function Client:login(opts)
  return session_of(self, "login"):login(opts)
end

--- Ends the login session (POST /api/v1/logout) and forgets its cookies.
function Client:logout()
  return session_of(self, "logout"):logout()
end

--- The calls the client's API tokens have left now in their budget (the
-- sum: a call may go with any of them); nothing is taken. nil for a login
-- session, which has no token budget to ask.
function Client:budget_left()
  local s = self.settings
  if #s.tokens == 0 then return nil end
  local b, n = self.pipeline.budget, 0
  for i = 1, #s.tokens do n = n + b:left(i, s.budget_limit, s.budget_window) end
  return n
end

--- Who the client is: GET /api/v1/self (a token's or a user's privileges).
function Client:get_self()
  return auth().get_self(self.pipeline)
end

-- One method a resource of mistapi.resources, each made once a client:
-- `client:orgs_api_tokens()` is the Org API Tokens (`client.OrgsAPITokens()`
-- in the Go SDK).
for _, row in ipairs(resources) do
  local accessor = row.accessor
  Client[accessor] = function(self)
    local made = self._resources
    if not made then
      made = {}
      self._resources = made
    end
    local r = made[accessor]
    if not r then
      r = resource().new(accessor, self)
      made[accessor] = r
    end
    return r
  end
end

--- Any endpoint: one call, a plain decoded answer (see mistapi.request).
-- @function Client:request
function Client.request(...) return request().request(...) end
--- Every item of a list at any path, for a generic `for` (see mistapi.request).
-- @function Client:each
function Client.each(...) return request().each(...) end
--- Every item of a list at any path, as one result (see mistapi.request).
-- @function Client:get_all
function Client.get_all(...) return request().get_all(...) end

--- The orgs the client's credentials reach (mistapi.orgs): every org an
-- `org` privilege of `/api/v1/self` names, and every org of each MSP an
-- `msp` privilege names.
-- @return a result whose `data` is an array of `{ id, name, role, msp_id, msp_name }`, or nil and an error
function Client.list_orgs(...) return require("mistapi.orgs").list(...) end
--- Every org the client reaches, for a generic `for`; raises on error.
function Client.each_org(...) return require("mistapi.orgs").each(...) end

--- Frees the connection; the client can't be used after. Safe to call twice.
function Client:close()
  if self.transport then
    self.transport:close()
  end
end
Client.__close = Client.close

function Client:__tostring()
  local n = #self.settings.tokens
  return ("mistapi.Client (%s, %d token%s, transport %s)"):format(
    self.settings.base_url, n, n == 1 and "" or "s", self.transport.name)
end

-- A privilege's writable fields, with the schema's names for role and scope
-- (loaded here only: help is not on the way to a first call).
local function privileges_usage()
  local schema = require "mistapi.schema"
  local parts = {}
  for _, f in ipairs(schema.privilege.fields) do
    if f.writable then
      local value = f.type == "role" and table.concat(schema.roles, "|")
        or f.type == "scope" and table.concat(schema.scopes, "|")
        or f.type == "views" and "{...}" or "..."
      parts[#parts + 1] = f.name .. " = " .. value
    end
  end
  return "privileges: { " .. table.concat(parts, ", ") .. " }"
end

--- Prints the operations with a line of usage each, and how results print.
-- Returns nothing, so the REPL shows the text once; `mistapi.help_text()` gives it.
function mistapi.help_text()
  local lines = {
    "mistapi " .. mistapi._VERSION .. ": client = mistapi.new{...}; then",
  }
  for _, row in ipairs(resources) do
    local class, v = resource().class_of(row.accessor), row.var
    lines[#lines + 1] = ("%s = client:%s()   -- %s in the Go SDK"):format(v, row.accessor, row.go)
    for _, op in ipairs(operations.of(row.accessor)) do
      lines[#lines + 1] = ("  %-6s %s"):format(op.method, op.usage)
    end
    local h, list, get = row.helpers or {}, class.ops.list, class.ops.get
    local parent = list and list.params[1]
    local first = parent and (parent .. ", ") or ""
    if h.each then
      lines[#lines + 1] = ("  every  for token in %s:%s(%s) do ... end"):format(v, h.each, parent or "")
    end
    if h.list_all then
      lines[#lines + 1] = ("  every  %s:%s(%s)   -- all pages in one result"):format(v, h.list_all, parent or "")
    end
    for _, name in ipairs { h.get_many or false, h.delete_many or false } do
      if name and get then
        lines[#lines + 1] = ("  many   %s:%s(%sids [, { concurrency = 8 }])"):format(v, name, first)
      end
    end
    if row.extend then   -- rotate, audit, plan, apply (docs/lifecycle.md)
      for _, usage in ipairs(require(row.extend[1]).usage(row.extend[2], v)) do
        lines[#lines + 1] = "  life   " .. usage
      end
    end
  end
  lines[#lines + 1] = "any endpoint (plain decoded answers, the same auth, retries and errors):"
  for _, name in ipairs { "request", "each", "get_all" } do
    lines[#lines + 1] = "  " .. request().usage[name]
  end
  lines[#lines + 1] = "the orgs the credentials reach (/self's privileges, an MSP's orgs):"
  for _, name in ipairs { "list_orgs", "each_org" } do
    lines[#lines + 1] = "  " .. require("mistapi.orgs").usage[name]
  end
  lines[#lines + 1] = "Each returns res (res.data, res.status, res.headers) or nil, err."
  lines[#lines + 1] = privileges_usage()
  lines[#lines + 1] = "Tokens, lists and errors print readably with keys masked; after create,"
    .. " res.data.key is the whole key (shown by no API call again)."
  return table.concat(lines, "\n")
end

function mistapi.help()
  print(mistapi.help_text())
end

return mistapi
