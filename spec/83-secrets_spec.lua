-- Secrets: everything the library, the CLI and the REPL show, and what the
-- emulator logs, is captured here and searched for every API token and
-- every whole key in play. The only places a whole key may appear are the
-- ones the user asked for: `res.data.key` of a create, and the CLI's
-- one-time key line after `create`. A failure names the channel, never the
-- secret (busted would print an assert's values, so only booleans are asserted).
local emu = require "support.emulator"
local shell = require "support.shell"
local mistapi = require "mistapi"
local cjson = require "cjson"

local PROJECT = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."

local quote, read_file = shell.quote, shell.read_file

-- A deep, ordered dump of a value: what a careless logger would write.
local function dump(v, seen)
  seen = seen or {}
  if type(v) ~= "table" then return tostring(v) end
  if seen[v] then return "<cycle>" end
  seen[v] = true
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local out = {}
  for _, k in ipairs(keys) do
    out[#out + 1] = tostring(k) .. "=" .. dump(v[k], seen)
  end
  return "{" .. table.concat(out, ",") .. "}"
end

-- Runs a shell command with the given environment; -> stdout .. stderr, ok
local function run(env, cmd, stdin)
  local errfile, infile = os.tmpname(), os.tmpname()
  local f = assert(io.open(infile, "wb"))
  f:write(stdin or "")
  f:close()
  local prefix = {}
  for k, v in pairs(env) do prefix[#prefix + 1] = k .. "=" .. quote(v) end
  local p = assert(io.popen(("cd %s && env %s %s <%s 2>%s"):format(quote(PROJECT),
    table.concat(prefix, " "), cmd, quote(infile), quote(errfile)), "r"))
  local out = p:read("*a")
  local ok = p:close()
  local err = read_file(errfile)
  os.remove(errfile)
  os.remove(infile)
  return out .. "\n" .. err, ok
end

describe("no secret is shown", function()
  local e
  local secrets = {}      -- the API tokens and whole keys in play
  local channels = {}     -- name -> captured text, all of it checked at the end

  local function add_secret(s)
    assert.truthy(type(s) == "string" and #s >= 20, "a secret is a long string")
    secrets[#secrets + 1] = s
  end

  -- Names of the secrets found in text (by position, never by value).
  local function leaks(text)
    local found = {}
    for i, s in ipairs(secrets) do
      if text:find(s, 1, true) then found[#found + 1] = "secret #" .. i end
    end
    return found
  end

  local function capture(channel, ...)
    local parts = { channels[channel] }
    for i = 1, select("#", ...) do
      parts[#parts + 1] = tostring((select(i, ...)))
    end
    channels[channel] = table.concat(parts, "\n")
  end

  local function assert_clean(channel)
    local found = leaks(channels[channel] or "")
    assert.truthy(#found == 0, channel .. " shows " .. table.concat(found, ", "))
  end

  -- Every channel captured so far, against every secret seen so far: each
  -- case ends with it, so whichever runs last (in any order) checks all
  -- against all. "echoed key" has its own case, where that key is the point.
  local function assert_all_clean()
    for name in pairs(channels) do
      if name ~= "echoed key" then assert_clean(name) end
    end
  end

  setup(function()
    e = emu.start{ config = { rate_limit = 1000000 } }
    add_secret(e.token)
    add_secret("wrongtoken" .. ("0123456789abcdef"):rep(3))
  end)

  teardown(function()
    e:stop()
  end)

  local function new_client(extra)
    local opts = { base_url = e.url, token = e.token, max_retries = 0, timeout = 2,
      log = function(entry) capture("log hook", dump(entry)) end }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return assert(mistapi.new(opts))
  end

  -- Everything a script might print about a failure.
  local function capture_error(channel, res, err)
    assert.truthy(res == nil and type(err) == "table", "a failure in " .. channel .. ": " .. tostring(res))
    local copy = {}
    for k, v in pairs(err) do
      if k ~= "body" then copy[k] = v end   -- body is the raw answer, documented as not redacted
    end
    capture(channel, tostring(err), err.message, err.detail, dump(copy))
  end

  it("in results, errors and log lines of the library", function()
    local client = new_client()
    local tokens = client:orgs_api_tokens()
    capture("library", tostring(client))
    local res, err = tokens:create_org_api_token(e.org_id, {
      name = "secrets-lib", privileges = { { role = "admin", scope = "org" } } })
    assert.is_nil(err)
    add_secret(res.data.key)                -- the user asked for it: not captured
    local id = res.data.id
    capture("library", tostring(res), tostring(res.data), tostring(res.data.privileges[1]), dump(res.headers))
    local copy = {}
    for k, v in pairs(res.data) do
      if k ~= "key" then copy[k] = v end
    end
    capture("library", dump(copy))

    for _, r in ipairs{ { tokens:get_org_api_token(e.org_id, id) }, { tokens:list_org_api_tokens(e.org_id) },
                        { tokens:update_org_api_token(e.org_id, id, { name = "secrets-lib-2" }) } } do
      assert.is_table(r[1])
      capture("library", tostring(r[1]), tostring(r[1].data), dump(r[1].data))
    end
    for t in tokens:each_org_api_token(e.org_id) do capture("library", tostring(t), dump(t)) end

    -- failures of every kind
    capture_error("library", tokens:get_org_api_token(e.org_id, "a97c1b22-a4e9-411e-9bfd-d8695a0f9e61"))
    capture_error("library", tokens:create_org_api_token(e.org_id, {
      name = "x", privileges = { { role = "admn", scope = "org" } }, src_ips = { e.token } }))
    capture_error("library", tokens:get_org_api_token(e.org_id, e.token))
    local wrong = new_client{ token = secrets[2] }
    capture("library", tostring(wrong))
    capture_error("library", wrong:orgs_api_tokens():list_org_api_tokens(e.org_id))
    wrong:close()

    -- a server that echoes the secrets back in its error text
    e:fault{ kind = "status", status = 400, body = '{"detail":"bad token ' .. e.token .. '"}' }
    capture_error("library", tokens:get_org_api_token(e.org_id, id))
    e:fault{ kind = "status", status = 503, body = "upstream said: Authorization: Token " .. e.token }
    capture_error("library", tokens:get_org_api_token(e.org_id, id))
    e:fault{ kind = "raw", body = '{"name":"' .. e.token .. '",' }
    capture_error("library", tokens:get_org_api_token(e.org_id, id))
    -- on a fresh connection: curl resends on a reused one that died before answering
    local fresh = new_client()
    e:fault{ kind = "close", before_headers = true }
    capture_error("library", fresh:orgs_api_tokens():get_org_api_token(e.org_id, id))
    fresh:close()
    e:fault{ kind = "trickle", endless = true, interval_ms = 50, max_ms = 5000, content_length = 1000 }
    capture_error("library", tokens:get_org_api_token(e.org_id, id))

    -- retries are logged too
    local retrying = new_client{ max_retries = 2, retry_base = 0.01, retry_cap = 0.05 }
    e:fault{ kind = "status", status = 503, count = 2 }
    assert.is_table((retrying:orgs_api_tokens():get_org_api_token(e.org_id, id)))
    retrying:close()

    -- the raising style: what an uncaught error would print
    local raising = require "mistapi.raising"
    local rc = raising.new{ base_url = e.url, token = secrets[2], max_retries = 0 }
    local ok, raised = pcall(function() return rc:orgs_api_tokens():list_org_api_tokens(e.org_id) end)
    assert.is_false(ok)
    capture("library", tostring(raised))
    rc:close()

    assert.is_nil((tokens:delete_org_api_token(e.org_id, id) == nil) or nil)
    client:close()
    assert.truthy(#(channels["log hook"] or "") > 0, "the log hook was called")
    assert_clean("library")
    assert_clean("log hook")
    assert_all_clean()
  end)

  it("in an error whose text echoes the key of a token this client created", function()
    local client = new_client()
    local tokens = client:orgs_api_tokens()
    local res = assert(tokens:create_org_api_token(e.org_id, {
      name = "secrets-echo", privileges = { { role = "read", scope = "org" } } }))
    add_secret(res.data.key)
    e:fault{ kind = "status", status = 400, body = '{"detail":"key ' .. res.data.key .. ' is not allowed"}' }
    capture_error("echoed key", tokens:get_org_api_token(e.org_id, res.data.id))
    assert(tokens:delete_org_api_token(e.org_id, res.data.id))
    client:close()
    assert_clean("echoed key")
    assert_all_clean()
  end)

  local function cli_env(token)
    return { MIST_BASE_URL = e.url, MIST_APITOKEN = token or e.token, MIST_ORG_ID = e.org_id,
             LUA_PATH_5_4 = PROJECT .. "/lua/?.lua;" .. PROJECT .. "/lua/?/init.lua;;",
             LUA_CPATH_5_4 = PROJECT .. "/build/5.4/?.so;;" }
  end

  it("in the CLI's output, but for create's one-time key line", function()
    local cli = "bin/mistapi-tokens"
    local out, ok = run(cli_env(), cli .. " create --name secrets-cli --privilege admin:org")
    assert.truthy(ok, "create succeeded")
    -- the one-time key: the line that works as a token
    local key
    for line in out:gmatch("[^\n]+") do
      if line:match("^%w+$") and #line >= 20 then key = line end
    end
    assert.truthy(key, "create printed the key")
    -- (judged by the exit status: a 401 exits 4; "401" may well stand inside an id)
    local check, works = run(cli_env(key), cli .. " list")
    assert.truthy(works, "the printed key is a whole, working key")
    add_secret(key)
    local _, n = out:gsub(key, "")
    assert.truthy(n == 1, "the key is printed exactly once")
    capture("cli", (out:gsub(key, "<the one-time key>")), check)

    -- the id of the token made above (not the bootstrap token, which must live on)
    local listed = cjson.decode((run(cli_env(), cli .. " list --json")))
    local id
    for _, t in ipairs(listed) do
      if t.name == "secrets-cli" then id = t.id end
    end
    assert.truthy(id, "list --json shows the new token")
    for _, args in ipairs{ "list", "list --json", "get " .. id, "get " .. id .. " --json",
                           "update " .. id .. " --name secrets-cli-2", "get not-a-uuid",
                           "create --name x --privilege admn:org" } do
      capture("cli", (run(cli_env(), cli .. " " .. args)))
    end
    local keyfile = os.tmpname()
    os.remove(keyfile)
    local kout = run(cli_env(), cli .. " create --name secrets-cli-file --privilege read:org --key-file "
      .. quote(keyfile))
    local filed = read_file(keyfile):match("%w+")
    os.remove(keyfile)
    assert.truthy(filed and #filed >= 20, "the key went to the file")
    add_secret(filed)
    capture("cli", kout)
    capture("cli", (run(cli_env(secrets[2]), cli .. " list")))
    capture("cli", (run(cli_env(), cli .. " delete --yes " .. id)))
    assert_clean("cli")
    assert_all_clean()
  end)

  it("on the REPL's screen, but for what the user asked: res.data.key", function()
    local script = table.concat({
      "client",
      "tokens:list_org_api_tokens(org_id)",
      'res = tokens:create_org_api_token(org_id, { name = "secrets-repl", '
        .. 'privileges = { { role = "admin", scope = "org" } } })',
      "res",
      "res.data",
      'print("<<asked:" .. res.data.key .. ":asked>>")',
      "tokens:get_org_api_token(org_id, res.data.id)",
      'tokens:get_org_api_token(org_id, "nope")',
      "client.settings",
      "tokens:delete_org_api_token(org_id, res.data.id)",
      "",
    }, "\n")
    local env = cli_env()
    env.MIST_BASE_URL = e.url
    local out = run(env, "lua5.4 -i -e 'require \"mistapi.cli.repl\".start()'", script)
    local key = out:match("<<asked:(%w+):asked>>")
    assert.truthy(key, "the REPL printed the key when asked")
    add_secret(key)
    capture("repl", (out:gsub("<<asked:%w+:asked>>", "<asked>")))
    assert.truthy(#channels.repl > 200, "the REPL showed its screens")
    assert_clean("repl")
    assert_all_clean()
  end)

  it("in the emulator's logs", function()
    -- traffic of its own: calls with the token, a create (whose key is in the
    -- answer), a wrong token, a token where an id goes
    local client = new_client()
    local tokens = client:orgs_api_tokens()
    assert(tokens:list_org_api_tokens(e.org_id))
    local res = assert(tokens:create_org_api_token(e.org_id, {
      name = "secrets-logs", privileges = { { role = "read", scope = "org" } } }))
    add_secret(res.data.key)
    assert.is_nil((tokens:get_org_api_token(e.org_id, e.token)))
    assert(tokens:delete_org_api_token(e.org_id, res.data.id))
    local wrong = new_client{ token = secrets[2] }
    assert.is_nil((wrong:orgs_api_tokens():list_org_api_tokens(e.org_id)))
    wrong:close()
    client:close()
    capture("emulator logs", read_file(e.dir .. "/logs/access.log"), read_file(e.dir .. "/logs/error.log"))
    assert.truthy(#channels["emulator logs"] > 0, "the emulator wrote logs")
    assert_clean("emulator logs")
    assert_all_clean()
  end)
end)
