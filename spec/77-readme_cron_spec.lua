-- The README's cron lines, pasted as they are: taken from between their
-- markers, run as cron runs them (sh -c, a bare environment, HOME and the
-- env file ~/.mist_env), twice in a row against the emulator. Both runs
-- exit 0; the second rotates again correctly (one token of that name, the
-- key file holds its working key) and applies nothing.
local fresh_client = require "support.fresh_client"
local shell = require "support.shell"

local ROOT = os.getenv("PWD") or "."
local READ = { { role = "read", scope = "org" } }

local function cron_lines()
  local text = assert(shell.try_read(ROOT .. "/README.md"))
  local block = text:match("<!%-%- cron lines:.-%-%->\n```crontab\n(.-)```\n<!%-%- end of cron lines %-%->")
  assert(block, "README.md has no cron block between its markers")
  local lines = {}
  for line in block:gmatch("[^\n]+") do
    if not line:match("^%s*#") and not line:match("^%s*[%w_]+=") then
      -- the five schedule fields, then the command as cron hands it to sh
      local command = line:match("^%S+%s+%S+%s+%S+%s+%S+%s+%S+%s+(.+)$")
      lines[#lines + 1] = assert(command, "not a cron line: " .. line)
    end
  end
  return lines
end

describe("the README's cron lines", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens, home, secrets

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    tokens, home = fresh:renew_in_dir()
    secrets = { e.token }
  end)
  after_each(function() fresh:remove_dir() end)

  local function write(path, text)
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
  end

  -- One line as cron runs it: a bare environment, our bin/ first on PATH.
  local function run(line)
    return shell.capture(("env -i HOME=%s PATH=%s sh -c %s"):format(shell.quote(home),
      shell.quote(ROOT .. "/bin:/usr/local/bin:/usr/bin:/bin"), shell.quote(line)))
  end

  local function named(name)
    local out = {}
    for _, t in ipairs(assert(tokens:list_all_org_api_tokens(e.org_id)).data) do
      if t.name == name or t.name:sub(1, #name + 2) == name .. " [" then out[#out + 1] = t end
    end
    return out
  end

  it("are there: a rotation and a plan then apply", function()
    local lines = cron_lines()
    assert.is_true(#lines >= 2)
    assert.truthy(lines[1]:find("mistapi-tokens rotate", 1, true))
    assert.truthy(lines[2]:find("--out", 1, true))
  end)

  it("work when pasted, twice in a row", function()
    write(home .. "/.mist_env", ("MIST_BASE_URL=%s\nMIST_APITOKEN=%s\nMIST_ORG_ID=%s\n"):format(e.url, e.token,
      e.org_id))
    assert(os.execute(("mkdir -p -m 700 %s/.config/mist/keys %s/mist"):format(shell.quote(home), shell.quote(home))))
    write(home .. "/mist/tokens.json", '{"prefix":"app-","tokens":{"app-ci":{"privileges":[{"role":"read",'
      .. '"scope":"org"}],"src_ips":["127.0.0.1/32"]}}}')
    local ci = assert(tokens:create_org_api_token(e.org_id, { name = "ci", privileges = READ })).data
    secrets[#secrets + 1] = ci.key
    local gone = assert(tokens:create_org_api_token(e.org_id, { name = "app-old", privileges = READ })).data
    secrets[#secrets + 1] = gone.key
    local ids = {}
    for round = 1, 2 do
      e:clear_log()
      for _, line in ipairs(cron_lines()) do
        local r = run(line)
        local key = shell.read_file(home .. "/.config/mist/ci.key"):match("%S+")
        if key then secrets[#secrets + 1] = key end
        for _, s in ipairs(secrets) do assert.is_nil((r.out .. r.err):find(s, 1, true), "a secret in the output") end
        assert.equal(0, r.status, ("round %d: %s\n%s%s"):format(round, line, r.out, r.err))
      end
      -- the rotation: one token "ci", new each day, whose key is the file's
      local now = named("ci")
      assert.equal(1, #now)
      assert.equal("ci", now[1].name)
      ids[round] = now[1].id
      local key = shell.read_file(home .. "/.config/mist/ci.key"):match("^(%S+)\n$")
      assert.equal(200, (e:api("GET", "/api/v1/self", nil, key)))
      assert.equal("600", shell.mode(home .. "/.config/mist/ci.key"))
      -- the state: app-ci made the first day, nothing changed the second
      assert.equal(1, #named("app-ci"))
      assert.equal(0, #named("app-old"))
      if round == 2 then
        -- the second day's changes are the rotation's alone: one create, the old "ci" deleted, the new renamed
        local posts = 0
        for _, r in ipairs(e:requests(nil, "/apitokens")) do
          if r.method == "POST" then
            posts = posts + 1
          elseif r.method ~= "GET" then
            assert.truthy(r.path:find(ids[1], 1, true) or r.path:find(ids[2], 1, true),
              "the second day changed another token: " .. r.method .. " " .. r.path)
          end
        end
        assert.equal(1, posts)
      end
      local app = shell.read_file(home .. "/.config/mist/keys/app-ci.key"):match("%S+")
      if app then secrets[#secrets + 1] = app end
    end
    assert.are_not.equal(ids[1], ids[2])
    assert.is_false(shell.exists(home .. "/.config/mist/ci.key.lock"))
  end)
end)
