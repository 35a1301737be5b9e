-- Every script of examples/ (but quickstart and openresty, covered elsewhere)
-- run against the emulator: exit status and the lines that matter. Output can
-- hold a new key, so it is only searched, never printed.
local emulator = require "support.emulator"
local shell = require "support.shell"

local ROOT = os.getenv("PWD") or "."
local PATHS = ("LUA_PATH_5_4='%s/lua/?.lua;%s/lua/?/init.lua;;' LUA_CPATH_5_4='%s/build/5.4/?.so;;'")
  :format(ROOT, ROOT, ROOT)
local UTC = "%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%dZ"

local q, slurp = shell.quote, shell.read_file

-- Runs examples/<name> with lua5.4 and the emulator's environment (from its
-- 0600 env file: the token is on no command line).
local function example(e, name, argv, extra_env)
  return shell.capture(("%s%s %s lua5.4 %s %s"):format(
    shell.client_env(e), extra_env or "", PATHS, q(ROOT .. "/examples/" .. name), argv or ""))
end

local function names_of(e)
  local _, data = e:api("GET", e:tokens_path())
  local names = {}
  for _, t in ipairs(data) do names[#names + 1] = t.name end
  table.sort(names)
  return table.concat(names, ",")
end

local ADMIN = { { role = "admin", scope = "org" } }

describe("examples", function()
  local e

  setup(function() e = emulator.start() end)
  teardown(function() if e then e:stop() end end)
  before_each(function() e:reset(); e:clear_faults() end)

  describe("the Go snippets", function()
    it("create_org_api_token prints the token line, masked, and 200", function()
      local r = example(e, "go_snippets/create_org_api_token.lua")
      assert.equal(0, r.status)
      assert.truthy(r.out:find("^org_token_xyz  [%x%-]+  admin@site:4ac1dcf4%-9d8b%-4211%-85c4%-057819f0862b  created "
        .. UTC .. "  last used never  key %w%w%w%w%.%.%.%w%w%w%w\n200\n$"))
      assert.equal("emulator bootstrap token,org_token_xyz", names_of(e))
    end)

    it("list_org_api_tokens prints the table, then id and name of each", function()
      local made = e:make_token { name = "listed", privileges = ADMIN }
      local r = example(e, "go_snippets/list_org_api_tokens.lua")
      assert.equal(0, r.status)
      assert.truthy(r.out:find("^mistapi.Result 200: 2 tokens\nNAME +ID +PRIVILEGES"))
      assert.truthy(r.out:find("\n" .. made.id .. "\tlisted\n", 1, true))
      assert.is_nil(r.out:find(made.key, 1, true))
    end)

    it("get_org_api_token prints the token and 200", function()
      local made = e:make_token { name = "got", privileges = ADMIN }
      local r = example(e, "go_snippets/get_org_api_token.lua", made.id)
      assert.equal(0, r.status)
      assert.truthy(r.out:find("^got  " .. made.id:gsub("%-", "%%-") .. "  admin@org  "))
      assert.truthy(r.out:find("\n200\n$"))
      assert.is_nil(r.out:find(made.key, 1, true))
    end)

    it("update_org_api_token replaces name and privileges", function()
      local made = e:make_token { name = "before", privileges = ADMIN }
      local r = example(e, "go_snippets/update_org_api_token.lua", made.id)
      assert.equal(0, r.status)
      assert.truthy(r.out:find("\n200\n$"))
      local _, t = e:api("GET", e:tokens_path(made.id))
      assert.equal("org_token_xyz", t.name)
      assert.equal("site", t.privileges[1].scope)
    end)

    it("delete_org_api_token deletes and prints 200", function()
      local made = e:make_token { name = "doomed", privileges = ADMIN }
      local r = example(e, "go_snippets/delete_org_api_token.lua", made.id)
      assert.equal(0, r.status)
      assert.equal("200\n", r.out)
      assert.equal("emulator bootstrap token", names_of(e))
    end)

    it("fail with the error on stderr and exit 1", function()
      local r = example(e, "go_snippets/get_org_api_token.lua", "00000000-0000-4000-8000-000000000000")
      assert.equal(1, r.status)
      assert.truthy(r.err:find("^mistapi: 404 GET "))
      assert.is_nil(r.err:find(e.token, 1, true))
    end)
  end)

  describe("rotate_token.lua", function()
    local function old_token()
      return e:make_token { name = "svc", src_ips = { "127.0.0.1", "10.0.0.0/8" },
        privileges = { { role = "admin", scope = "org" }, { role = "read", scope = "site", site_id = e.org_id } } }
    end

    it("makes a working replacement with the same privileges and src_ips, then deletes the old", function()
      local old = old_token()
      local path = os.tmpname()
      os.remove(path)
      local r = example(e, "rotate_token.lua", old.id .. " --key-file " .. q(path))
      local key = slurp(path):match("^(%w+)\n$")
      os.remove(path)
      assert.equal(0, r.status)
      assert.is_truthy(key, "the new key is in the file")
      assert.is_nil(r.out:find(key, 1, true))
      assert.truthy(r.out:find("\nold token " .. old.id .. " deleted\n", 1, true))
      assert.equal(404, (e:api("GET", e:tokens_path(old.id))))
      -- the new key works and its token has the old one's privileges and src_ips
      local status, list = e:api("GET", e:tokens_path(), nil, key)
      assert.equal(200, status)
      assert.equal(2, #list)
      local new = list[1].name == "svc" and list[1] or list[2]
      assert.equal("svc", new.name)
      assert.same({ "127.0.0.1", "10.0.0.0/8" }, new.src_ips)
      assert.equal(2, #new.privileges)
      assert.same({ "admin", "org" }, { new.privileges[1].role, new.privileges[1].scope })
      assert.same({ "read", "site", e.org_id },
        { new.privileges[2].role, new.privileges[2].scope, new.privileges[2].site_id })
    end)

    it("shows the new key once, marked, without --key-file", function()
      local old = old_token()
      local r = example(e, "rotate_token.lua", old.id .. " --name svc2")
      assert.equal(0, r.status)
      local key = r.out:match("\nnew key %(shown only now[^\n]*\n(%w+)\n")
      assert.is_truthy(key)
      assert.equal(200, (e:api("GET", e:tokens_path(), nil, key)))
    end)

    it("leaves the old token untouched when the replacement can't be created", function()
      local old = old_token()
      e:fault { kind = "status", status = 500, method = "POST", path = e:tokens_path() }
      local r = example(e, "rotate_token.lua", old.id)
      assert.equal(1, r.status)
      assert.truthy(r.err:find("rotate: create failed", 1, true))
      assert.truthy(r.err:find("the old token is untouched", 1, true))
      assert.equal("emulator bootstrap token,svc", names_of(e))
      assert.equal(200, (e:api("GET", e:tokens_path(), nil, old.key)))
    end)

    it("deletes the replacement and keeps the old token when the new key doesn't work", function()
      local old = old_token()
      -- the proof, GET /api/v1/self with the new key, is refused
      e:fault { kind = "status", status = 403, method = "GET", path = "/api/v1/self" }
      local r = example(e, "rotate_token.lua", old.id)
      assert.equal(1, r.status)
      assert.truthy(r.err:find("rotate: verify failed", 1, true))
      assert.truthy(r.err:find("the new token was deleted; the old one is untouched", 1, true))
      assert.equal("emulator bootstrap token,svc", names_of(e))
      local _, kept = e:api("GET", e:tokens_path(old.id))
      assert.equal(old.id, kept.id)
      assert.equal(200, (e:api("GET", e:tokens_path(), nil, old.key)))
    end)

    it("exits 1 without creating anything when the old token doesn't exist", function()
      local r = example(e, "rotate_token.lua", "00000000-0000-4000-8000-000000000000")
      assert.equal(1, r.status)
      assert.equal("emulator bootstrap token", names_of(e))
    end)
  end)

  describe("audit_stale_tokens.lua", function()
    it("lists tokens never used, and not the ones in use; exit 1 when any", function()
      e:make_token { name = "idle", privileges = ADMIN }
      local r = example(e, "audit_stale_tokens.lua", "--days 30")
      assert.equal(1, r.status)
      assert.truthy(r.out:find("^NAME +ID +CREATED +LAST USED +WHY\n"))
      assert.truthy(r.out:find("\nidle +[%x%-]+  " .. UTC .. "  never +never used\n"))
      assert.is_nil(r.out:find("bootstrap", 1, true), "the token in use is not stale")
      assert.truthy(r.out:find("\n1 stale token %(never used, or unused for 30 days%)\n$"))
    end)

    it("lists tokens unused for more than N days", function()
      local now = os.time()
      local body = ('[{"id":"%s","name":"old","created_time":%d,"last_used":%d,"key":"abcd...wxyz"},'
        .. '{"id":"%s","name":"fresh","created_time":%d,"last_used":%d,"key":"efgh...wxyz"}]')
        :format("11111111-1111-4111-8111-111111111111", now - 400 * 86400, now - 100 * 86400,
                "22222222-2222-4222-8222-222222222222", now - 400 * 86400, now - 86400)
      e:fault { kind = "raw", method = "GET", path = e:tokens_path(), status = 200, body = body,
        headers = { ["Content-Type"] = "application/json" } }
      local r = example(e, "audit_stale_tokens.lua", "--days 90")
      assert.equal(1, r.status)
      assert.truthy(r.out:find("\nold +11111111%-1111%-4111%-8111%-111111111111  " .. UTC .. "  " .. UTC
        .. "  unused for 100 days\n"))
      assert.is_nil(r.out:find("fresh", 1, true))
    end)

    it("exits 0 when nothing is stale", function()
      local r = example(e, "audit_stale_tokens.lua", "--days 30")
      assert.equal(0, r.status)
      assert.truthy(r.out:find("\n0 stale tokens", 1, true))
    end)
  end)

  describe("bulk_cleanup.lua", function()
    local function seed()
      for _, n in ipairs { "ci-a", "ci-b", "prod" } do e:make_token { name = n, privileges = ADMIN } end
    end

    it("only shows what it would delete by default", function()
      seed()
      local r = example(e, "bulk_cleanup.lua", "--match '^ci%-'")
      assert.equal(0, r.status)
      assert.truthy(r.out:find("\nci%-a  "))
      assert.truthy(r.out:find("\nci%-b  "))
      assert.is_nil(r.out:find("prod", 1, true))
      assert.truthy(r.out:find("dry run: 2 tokens would be deleted", 1, true))
      assert.equal("ci-a,ci-b,emulator bootstrap token,prod", names_of(e))
    end)

    it("deletes the matching tokens with --apply", function()
      seed()
      local r = example(e, "bulk_cleanup.lua", "--match '^ci%-' --apply")
      assert.equal(0, r.status)
      assert.truthy(r.out:find("\n2 deleted, 0 failed\n$"))
      assert.equal("emulator bootstrap token,prod", names_of(e))
    end)

    it("never deletes the token it runs with", function()
      seed()
      local r = example(e, "bulk_cleanup.lua", "--match . --apply")
      assert.equal(0, r.status)
      assert.truthy(r.out:find("it is the token this script uses", 1, true))
      assert.equal("emulator bootstrap token", names_of(e))
    end)

    it("reports failed deletions and exits 1", function()
      seed()
      e:fault { kind = "status", status = 403, method = "DELETE", count = 1,
        body = '{"detail":"You do not have permission to perform this action."}' }
      local r = example(e, "bulk_cleanup.lua", "--match '^ci%-' --apply")
      assert.equal(1, r.status)
      assert.truthy(r.err:find("^not deleted [%x%-]+: mistapi: 403 DELETE "))
      assert.truthy(r.out:find("\n1 deleted, 1 failed\n$"))
    end)

    it("refuses to run without --match", function()
      assert.equal(2, example(e, "bulk_cleanup.lua", "--apply").status)
      assert.equal(2, example(e, "bulk_cleanup.lua", "--match '[' --apply").status)
    end)
  end)
end)
