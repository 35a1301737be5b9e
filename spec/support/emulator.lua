-- Start, drive and stop a private Mist API emulator from a spec.
--   local emu = require "support.emulator"
--   local e = emu.start()             -- e.url, e.tls_url, e.tls_wrong_url, e.ca_file, e.org_id,
--                                     -- e.token, e.email, e.password, e.dir, e.pid
--   e:reset(); e:config{ rate_limit = 3 }; e:fault{ kind = "status", status = 503 }
--   e:log() -> { { method=, path=, query=, token_id=, status=, fault= }, ... }
--   e:seed(n [, opts]) -> ids;  e:make_token{...} -> a token with its whole key
--   e:make_self_token{ name = } -> a token of the built-in user's own, with its whole key
--   e:set_token_times(id, { created_time =, last_used = }) (last_used = false: never used)
--   e:add_site{...}, e:remove_site(id), e:add_sitegroup{...}, e:remove_sitegroup(id), e:name_org(name)
--   e:basic() -> the built-in user's "Basic ..." Authorization value
--   e:all_tokens() -> every token, org and user, with its whole key and owner ("org"/"user")
--   e:inflight() -> { arrived =, in_flight = }: API requests since the reset, and unfinished ones
--   e:request(method, path_or_url, headers, body) -> status, headers, body | nil, info
--   e:stop()                          -- idempotent; also run when e is collected, and by
--                                     -- the instance itself once this process has exited
-- Control calls go through the C core's session (mistapi.core); JSON through lua-cjson.
-- Works on Lua 5.1, 5.4 and LuaJIT.
local cjson = require "cjson"
local core = require "mistapi.core"
local shell = require "support.shell"

local M = {}

local function project_root()
  local src = debug.getinfo(1, "S").source
  local dir = src:match("^@(.*)/spec/support/[^/]*$")
  return dir or "."
end

M.SCRIPT = project_root() .. "/emulator/bin/mist-emulator"

local shell_quote, read_file = shell.quote, shell.read_file

-- cjson.null -> nil, recursively, so specs can test fields with plain `nil`.
local function denull(v)
  if v == cjson.null then
    return nil
  end
  if type(v) == "table" then
    for k, x in pairs(v) do
      v[k] = denull(x)
    end
  end
  return v
end

local Emulator = {}
Emulator.__index = Emulator

-- Any HTTP request, to a path on e.url or to a whole URL; answers as session:request.
function Emulator:request(method, target, headers, body)
  local url = target:match("^https?://") and target or self.url .. target
  return self.session:request(method, url, headers or {}, body)
end

-- An API call with the bootstrap token (or `token`; false sends no Authorization).
-- body: a table (sent as JSON) or a string (sent as is). -> status, data, headers, raw body
-- data is the decoded JSON (nulls as nil), or nil when the body is empty or no JSON.
function Emulator:api(method, path, body, token, headers)
  local h = { ["Content-Type"] = "application/json" }
  if token ~= false then
    h.Authorization = "Token " .. (token or self.token)
  end
  for k, v in pairs(headers or {}) do
    h[k] = v
  end
  if type(body) == "table" then
    body = cjson.encode(body)
  end
  local status, rh, text = self:request(method, path, h, body)
  if not status then
    return nil, rh
  end
  local ok, data = pcall(cjson.decode, text)
  return status, ok and denull(data) or nil, rh, text
end

-- A control API call; raises on anything but 200 (a broken fixture is a broken spec).
function Emulator:control(method, name, body)
  local payload = body ~= nil and cjson.encode(body) or nil
  local status, _, text = self:request(method, "/_emulator/" .. name,
    { ["Content-Type"] = "application/json" }, payload)
  if status ~= 200 then
    local why = type(_) == "table" and _.message or text
    error("emulator control " .. method .. " " .. name .. ": " .. tostring(status) .. " " .. tostring(why), 2)
  end
  return denull(cjson.decode(text))
end

function Emulator:reset()
  return self:control("POST", "reset")
end

function Emulator:config(changes)
  if changes == nil then
    return self:control("GET", "config")
  end
  return self:control("POST", "config", changes)
end

-- One fault table or an array of them; see docs/emulator.md for the kinds.
function Emulator:fault(f)
  return self:control("POST", "faults", f)
end

function Emulator:clear_faults()
  return self:control("DELETE", "faults")
end

function Emulator:log()
  return self:control("GET", "log")
end

-- The logged requests with `method` (any, if nil) whose path holds
-- `path_part` (any, if nil), oldest first.
function Emulator:requests(method, path_part)
  local list = {}
  for _, entry in ipairs(self:log()) do
    if (not method or entry.method == method) and (not path_part or entry.path:find(path_part, 1, true)) then
      list[#list + 1] = entry
    end
  end
  return list
end

-- Every token the emulator holds (the org's, other orgs', the users' own), each with its
-- whole key and `owner` ("org" or "user"); for specs that compare keys, never print them.
function Emulator:all_tokens()
  return self:control("GET", "tokens")
end

-- { arrived, in_flight }: API requests since the last reset, and those not finished yet.
function Emulator:inflight()
  return self:control("GET", "inflight")
end

function Emulator:clear_log()
  return self:control("DELETE", "log")
end

function Emulator:info()
  return self:control("GET", "info")
end

-- n tokens at once; opts: org_id, name_prefix, privileges. -> array of ids
function Emulator:seed(n, opts)
  local body = { count = n }
  for k, v in pairs(opts or {}) do
    body[k] = v
  end
  return self:control("POST", "seed", body).ids
end

-- A token made behind the API's back (fields: name, privileges, src_ips, org_id).
function Emulator:make_token(fields)
  return self:control("POST", "tokens", fields or {})
end

-- n tokens of the built-in user's own (/api/v1/self/apitokens). -> array of ids
function Emulator:seed_self(n, name_prefix)
  return self:control("POST", "seed", { count = n, self = true, name_prefix = name_prefix }).ids
end

-- A token of the built-in user's own, made behind the API's back, with its whole key.
function Emulator:make_self_token(fields)
  return self:control("POST", "self_tokens", fields or {})
end

-- Backdate a token (org or user): times = { created_time = epoch, last_used = epoch | false }
-- (false: never used). -> the token as the API shows it
function Emulator:set_token_times(id, times)
  local body = { created_time = times.created_time, last_used = times.last_used }
  if times.last_used == false then
    body.last_used = cjson.null
  end
  return self:control("PUT", "tokens/" .. id, body)
end

-- A site or site group in the org (fields: name, id, org_id; sites also sitegroup_ids). -> it
function Emulator:add_site(fields)
  return self:control("POST", "sites", fields or {})
end

function Emulator:add_sitegroup(fields)
  return self:control("POST", "sitegroups", fields or {})
end

-- The site (group) is gone; org_id defaults to the emulator's org.
function Emulator:remove_site(id, org_id)
  return self:control("DELETE", "sites/" .. id .. (org_id and ("?org_id=" .. org_id) or ""))
end

function Emulator:remove_sitegroup(id, org_id)
  return self:control("DELETE", "sitegroups/" .. id .. (org_id and ("?org_id=" .. org_id) or ""))
end

-- Name the org (GET /api/v1/orgs/{org_id}, and the privileges /self shows).
function Emulator:name_org(name, org_id)
  return self:control("POST", "org", { name = name, org_id = org_id })
end

-- An MSP (fields: id, name). -> {id, name}
function Emulator:add_msp(fields)
  return self:control("POST", "msps", fields or {})
end

-- n new orgs (opts: msp_id, name_prefix, tokens = seeded tokens each, privileges). -> their ids
function Emulator:add_orgs(n, opts)
  local body = { count = n }
  for k, v in pairs(opts or {}) do
    body[k] = v
  end
  return self:control("POST", "orgs", body).org_ids
end

-- The built-in user's privileges from now on: { {scope = "org"|"msp", role, org_id | msp_id} }
function Emulator:set_user_privileges(list)
  return self:control("PUT", "user_privileges", { privileges = list }).privileges
end

-- The built-in user's Basic Authorization header value.
function Emulator:basic()
  return "Basic " .. (require("mime").b64(self.email .. ":" .. self.password))
end

-- Path of the user's own tokens, or of one of them.
function Emulator.self_tokens_path(_, id)
  return id and ("/api/v1/self/apitokens/" .. id) or "/api/v1/self/apitokens"
end

-- Path of the org's token collection, or of one token.
function Emulator:tokens_path(id, org_id)
  local p = "/api/v1/orgs/" .. (org_id or self.org_id) .. "/apitokens"
  return id and (p .. "/" .. id) or p
end

function Emulator:stop()
  if self.stopped then
    return
  end
  self.stopped = true
  if self.session then
    self.session:close()
  end
  os.execute(shell_quote(M.SCRIPT) .. " stop " .. shell_quote(self.dir) .. " >/dev/null 2>&1")
end

local FIELDS = {
  MIST_EMU_URL = "url", MIST_EMU_TLS_URL = "tls_url", MIST_EMU_TLS_WRONG_URL = "tls_wrong_url",
  MIST_EMU_CA = "ca_file", MIST_EMU_ORG_ID = "org_id", MIST_EMU_TOKEN = "token",
  MIST_EMU_EMAIL = "email", MIST_EMU_PASSWORD = "password", MIST_EMU_DIR = "dir", MIST_EMU_PID = "pid",
}

-- opts: dir (instance dir), config (switches to set at once), try_ports
-- (three ports for the first try, e.g. one already taken: a lost race).
function M.start(opts)
  opts = opts or {}
  local errfile = os.tmpname()
  -- exec: the script's parent, $PPID, is then this Lua process, which its watchdog follows
  local cmd = "exec " .. shell_quote(M.SCRIPT) .. " start --watch $PPID"
  if opts.try_ports then
    cmd = "exec env MIST_EMU_TRY_PORTS=" .. shell_quote(table.concat(opts.try_ports, " ")) .. " "
      .. shell_quote(M.SCRIPT) .. " start --watch $PPID"
  end
  if opts.dir then
    cmd = cmd .. " --dir " .. shell_quote(opts.dir)
  end
  local p = assert(io.popen(cmd .. " 2>" .. shell_quote(errfile), "r"))
  local e = {}
  for line in p:lines() do
    local k, v = line:match("^([%w_]+)=(.*)$")
    if k and FIELDS[k] then
      e[FIELDS[k]] = v
    end
  end
  p:close()
  local err = read_file(errfile)
  os.remove(errfile)
  if not e.url or not e.dir then
    error("mist-emulator did not start: " .. err, 2)
  end
  e.pid = tonumber(e.pid)
  e.session = core.session{ allow_http = true, timeout = 60, ca_file = e.ca_file }
  setmetatable(e, Emulator)
  if newproxy then
    -- Lua 5.1/LuaJIT run __gc on userdata only: a proxy stops the instance when e goes
    local proxy = newproxy(true)
    getmetatable(proxy).__gc = function() e:stop() end
    e._gc = proxy
  end
  if opts.config then
    e:config(opts.config)
  end
  return e
end

Emulator.__gc = Emulator.stop

return M
