-- bin/mistapi-tokens against the emulator: commands, output, exit codes.
-- Its output may hold a new key: assertions use find() and never print it.
local emulator = require "support.emulator"
local shell = require "support.shell"
local args = require "mistapi.cli.args"
local privilege = require "mistapi.cli.privilege"
local json = require "mistapi.cli.json"
local core = require "mistapi.core"

local SITE = "c2d4e6f8-1a3b-4c5d-8e7f-9a0b1c2d3e4f"

local q, slurp = shell.quote, shell.read_file

-- the CLI with the emulator's environment (its token on no command line)
local run = shell.run_cli

local function count_lines(s)
  local n = 0
  for _ in s:gmatch("[^\n]*\n") do n = n + 1 end
  return n
end

describe("mistapi-tokens argument parsing", function()
  it("collects repeatable options and attaches views to the privilege before them", function()
    local o = assert(args.parse { "create", "--name", "x", "--privilege", "admin:org", "--view", "lobby_admin",
      "--privilege=read:site:" .. SITE, "--src-ip", "10.0.0.1", "--src-ip=10.1.0.0/16", "--json" })
    assert.equal("create", o.command)
    assert.same({ "lobby_admin" }, o.privileges[1].views)
    assert.same({}, o.privileges[2].views)
    assert.same({ "10.0.0.1", "10.1.0.0/16" }, o.src_ips)
    assert.is_true(o.json)
    assert.same({ role = "read", scope = "site", site_id = SITE }, privilege.parse(o.privileges[2]))
    assert.same({ role = "admin", scope = "org", views = { "lobby_admin" } }, privilege.parse(o.privileges[1]))
    assert.same({ role = "write", scope = "sitegroup", sitegroup_id = SITE },
      privilege.parse { text = "write:sitegroup:" .. SITE, views = {} })
  end)

  it("refuses a token on the command line, naming ps", function()
    local o, err = args.parse { "list", "--token", "abc" }
    assert.is_nil(o)
    assert.truthy(err:find("ps", 1, true) and err:find("MIST_APITOKEN", 1, true))
    assert.is_nil(args.parse { "list", "--token=abc" })
  end)

  it("rejects unknown options and commands, missing values and ids", function()
    assert.is_nil(args.parse { "list", "--nope" })
    assert.is_nil(args.parse { "frobnicate" })
    assert.is_nil(args.parse {})
    assert.is_nil(args.parse { "create", "--name" })
    assert.is_nil(args.parse { "get" })
    assert.is_nil(args.parse { "list", "extra" })
    assert.is_nil(args.parse { "list", "--view", "reporting" })
    assert.is_nil(args.parse { "list", "--limit", "x" })
  end)

  it("rejects privileges that are not ROLE:SCOPE[:ID]", function()
    assert.is_nil(privilege.parse { text = "admin", views = {} })
    assert.is_nil(privilege.parse { text = ":org", views = {} })
    local none, msg = privilege.parse { text = "admin:org:" .. SITE, views = {} }
    assert.is_nil(none)
    assert.equal('--privilege "admin:org:' .. SITE .. '": only site and sitegroup scopes take an id', msg)
  end)

  it("writes JSON with fields in a fixed order and empty arrays as arrays", function()
    local t = assert(core.decode('{"src_ips":[],"name":"n","id":"i","privileges":[{"scope":"org","role":"admin"}]}',
      "token"))
    assert.equal('{"id":"i","name":"n","privileges":[{"role":"admin","scope":"org"}],"src_ips":[]}', json.encode(t))
    assert.equal("[]", json.encode({}, true))
  end)
end)

describe("mistapi-tokens against the emulator", function()
  local e

  setup(function() e = emulator.start() end)
  teardown(function() if e then e:stop() end end)
  before_each(function() e:reset(); e:clear_faults() end)

  it("prints --help on stdout and exits 0", function()
    local r = run(e, "--help")
    assert.equal(0, r.status)
    assert.truthy(r.out:find("usage: mistapi-tokens", 1, true))
    assert.equal("", r.err)
  end)

  it("creates a token, shows its key once and clearly marked, then lists and gets it masked", function()
    local r = run(e, "create --name cli_made --privilege admin:org --privilege read:site:" .. SITE
      .. " --view reporting --src-ip 127.0.0.0/8")
    assert.equal(0, r.status)
    assert.equal("", r.err)
    local key = r.out:match("KEY %(shown only now[^\n]*\n(%w+)\n$")
    assert.is_truthy(key and #key >= 20, "the key follows the shown-only-now line")
    assert.truthy(r.out:find("\nprivileges  admin@org, read@site:" .. SITE .. "[reporting]\n", 1, true))
    assert.truthy(r.out:find("\nsrc_ips     127.0.0.0/8\n", 1, true))
    -- the key really works: it authenticates a call of its own
    local status = e:api("GET", e:tokens_path(), nil, key)
    assert.equal(200, status)

    local list = run(e, "list")
    assert.equal(0, list.status)
    assert.is_nil(list.out:find(key, 1, true), "list never shows the whole key")
    assert.equal(3, count_lines(list.out))   -- header, bootstrap token, the new one
    local row = list.out:match("\n(cli_made[^\n]*)")
    assert.is_truthy(row)
    assert.truthy(row:find(key:sub(1, 4) .. "..." .. key:sub(-4), 1, true))
    local header = list.out:match("^[^\n]*")
    local at = header:find("PRIVILEGES", 1, true)
    assert.equal("admin@org,read@site:", row:sub(at, at + 19))

    local id = row:match("  ([%x%-]+)  ")
    local got = run(e, "get " .. id)
    assert.equal(0, got.status)
    assert.truthy(got.out:find("^name        cli_made\nid          " .. id:gsub("%-", "%%-")))
    assert.is_nil(got.out:find(key, 1, true))
  end)

  it("prints JSON for jq with --json", function()
    local made = e:make_token { name = "for_json", privileges = { { role = "write", scope = "org" } } }
    local r = run(e, "list --json")
    assert.equal(0, r.status)
    local data = assert(core.decode(r.out))
    assert.equal(2, #data)
    local one = run(e, "get --json " .. made.id)
    assert.equal(0, one.status)
    local t = assert(core.decode(one.out))
    assert.equal("for_json", t.name)
    assert.equal("write", t.privileges[1].role)
    assert.is_nil(one.out:find(made.key, 1, true))
    assert.equal(1, count_lines(one.out))
  end)

  it("marks the key of a JSON answer as shown only now, on stderr", function()
    local r = run(e, "create --name json_made --privilege admin:org --json")
    assert.equal(0, r.status)
    local t = assert(core.decode(r.out))
    assert.equal(200, (e:api("GET", e:tokens_path(), nil, t.key)), "the JSON holds the whole key")
    assert.truthy(r.err:find("shown only now", 1, true))
    assert.is_nil(r.err:find(t.key, 1, true))
  end)

  it("lists every page, or one with --page", function()
    e:seed(5)
    local all = assert(core.decode(run(e, "list --json --limit 2").out))
    assert.equal(6, #all)
    local page = assert(core.decode(run(e, "list --json --limit 2 --page 3").out))
    assert.equal(2, #page)
    assert.equal(all[5].id, page[1].id)
  end)

  it("writes the key to --key-file with mode 0600 and does not print it", function()
    local path = os.tmpname()
    os.remove(path)
    local r = run(e, "create --name keyfile --privilege admin:org --json --key-file " .. q(path))
    assert.equal(0, r.status)
    local key = slurp(path):match("^(%w+)\n$")
    local mode = io.popen("stat -c %a " .. q(path)):read("*a")
    os.remove(path)
    assert.is_truthy(key and #key >= 20, "the file holds the key")
    assert.equal("600\n", mode)
    assert.is_nil(r.out:find(key, 1, true))
    assert.is_nil(r.err:find(key, 1, true))
    assert.truthy(r.err:find("mode 0600", 1, true))
    local t = assert(core.decode(r.out))
    assert.equal(key:sub(1, 4) .. "..." .. key:sub(-4), t.key)
  end)

  it("refuses an existing --key-file before creating anything (exit 2)", function()
    local path = os.tmpname()   -- exists, empty
    local r = run(e, "create --name never --privilege admin:org --key-file " .. q(path))
    os.remove(path)
    assert.equal(2, r.status)
    assert.truthy(r.err:find("exists", 1, true))
    assert.equal(1, #core.decode(run(e, "list --json").out))   -- only the bootstrap token
  end)

  it("renames a token and replaces its privileges with update", function()
    local made = e:make_token { name = "old", privileges = { { role = "admin", scope = "org" } } }
    local r = run(e, "update " .. made.id .. " --name new --privilege read:org")
    assert.equal(0, r.status)
    assert.truthy(r.out:find("^name        new\n"))
    assert.truthy(r.out:find("\nprivileges  read@org\n", 1, true))
    local t = assert(core.decode(run(e, "get --json " .. made.id).out))
    assert.equal("new", t.name)
    assert.equal("read", t.privileges[1].role)
  end)

  it("update reads the token back when the server answers an empty 200, and prints it as it now is", function()
    local made = e:make_token { name = "old", privileges = { { role = "admin", scope = "org" } } }
    e:config { put_response = "empty" }
    finally(function() e:config { put_response = "token" } end)
    e:clear_log()
    local r = run(e, "update " .. made.id .. " --name new")
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find("^name        new\nid          " .. made.id:gsub("%-", "%%-") .. "\n"), r.out)
    assert.truthy(r.out:find("\nprivileges  admin@org\n", 1, true), r.out)
    local calls = {}
    for _, entry in ipairs(e:log()) do calls[#calls + 1] = entry.method end
    assert.same({ "GET", "PUT", "GET" }, calls)   -- the whole token, the change, the read-back
  end)

  it("deletes a token", function()
    local made = e:make_token { name = "gone", privileges = { { role = "admin", scope = "org" } } }
    local r = run(e, "delete --yes " .. made.id)
    assert.equal(0, r.status)
    assert.equal('deleted "gone" (' .. made.id .. ")\n", r.out)
    assert.equal(4, run(e, "get " .. made.id).status)
  end)

  describe("exit status", function()
    local function one_error_line(r)
      assert.equal("", r.out)
      assert.equal(1, count_lines(r.err))
      assert.truthy(r.err:find("^mistapi%-tokens: "))
      assert.is_nil(r.err:find(e.token, 1, true))
    end

    it("is 2 for usage mistakes", function()
      for _, argv in ipairs { "", "frob", "get", "create --privilege admin:org", "create --name x",
                              "create --name x --privilege admin", "list --token abc", "update " .. SITE } do
        local r = run(e, argv)
        assert.equal(2, r.status, argv)
        one_error_line(r)
      end
    end)

    it("is 2 without an org or an API token", function()
      local r = run(e, "list", "MIST_ORG_ID=;")
      assert.equal(2, r.status)
      assert.truthy(r.err:find("MIST_ORG_ID", 1, true))
      r = run(e, "list", "MIST_APITOKEN=;")
      assert.equal(2, r.status)
      assert.truthy(r.err:find("MIST_APITOKEN", 1, true))
    end)

    it("is 3 for validation errors, before anything is sent", function()
      e:clear_log()
      for _, argv in ipairs { "get 497f6eca-6276-4993-bfeb-53efbbba6f0", "create --name x --privilege admn:org",
                              "create --name x --privilege read:site", "create --name x --privilege admin:org "
                              .. "--src-ip 10.0.0.1/40", "update " .. SITE .. " --src-ip 10.0.0.1" } do
        local r = run(e, argv)
        assert.equal(3, r.status, argv)
        one_error_line(r)
      end
      assert.equal(0, #e:log())
    end)

    it("is 4 for HTTP 4xx answers", function()
      local r = run(e, "get 00000000-0000-4000-8000-000000000000")
      assert.equal(4, r.status)
      one_error_line(r)
      assert.truthy(r.err:find(" 404 ", 1, true))
      r = run(e, "list", "MIST_APITOKEN=wrongwrongwrongwrong;")
      assert.equal(4, r.status)
      assert.truthy(r.err:find(" 401 ", 1, true))
      one_error_line(r)
    end)

    it("is 5 for HTTP 5xx answers, transport failures and unreadable answers", function()
      e:fault { kind = "status", status = 500, count = 10 }
      local r = run(e, "delete 00000000-0000-4000-8000-000000000000 --yes --max-retries 0")
      assert.equal(5, r.status)
      one_error_line(r)
      assert.truthy(r.err:find(" 500 ", 1, true))
      e:clear_faults()
      e:fault { kind = "malformed", count = 10 }
      r = run(e, "list --max-retries 0")
      assert.equal(5, r.status)
      one_error_line(r)
      e:clear_faults()
      r = run(e, "list --max-retries 0", "MIST_BASE_URL=http://127.0.0.1:1;")
      assert.equal(5, r.status)
      one_error_line(r)
    end)
  end)
end)
