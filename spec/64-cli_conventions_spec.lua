-- mistapi-tokens follows the conventions of gh, aws and kubectl: --version,
-- --debug without secrets, delete asking first or taking --yes, --key-file -,
-- --token-file, errors in the CLI's words, list filters, help COMMAND, bash
-- completion and documented exit codes. Output that may hold a key is
-- searched with find() and never printed.
local emulator = require "support.emulator"
local shell = require "support.shell"
local registry = require "mistapi.cli.registry"
local usage = require "mistapi.cli.usage"
local filter = require "mistapi.cli.filter"
local core = require "mistapi.core"

local ROOT = os.getenv("PWD") or "."
local q = shell.quote

local run = shell.run_cli

local tmp_path, mode_of = shell.unused_path, shell.mode

describe("mistapi-tokens without a server", function()
  it("--version names the program, the module and libcurl", function()
    local r = run(nil, "--version")
    assert.equal(0, r.status)
    assert.equal("", r.err)
    local version = require("mistapi")._VERSION
    assert.truthy(r.out:find("^mistapi%-tokens " .. version:gsub("%.", "%%.") .. " %(mistapi "), r.out)
    assert.truthy(r.out:find("libcurl " .. core.curl_version():match("^%S+"), 1, true), r.out)
  end)

  it("--help lists every command of the registry and every exit status", function()
    local r = run(nil, "--help")
    assert.equal(0, r.status)
    for _, name in ipairs(registry.NAMES) do
      assert.truthy(r.out:find("\n  " .. name, 1, true), name)
    end
    local cli_doc = shell.read_file(ROOT .. "/docs/cli.md")
    for name, status in pairs(require("mistapi.cli.main").EXIT) do
      assert.truthy(r.out:find("\n  " .. status .. " ", 1, true), name .. " in --help")
      assert.truthy(cli_doc:find("| `" .. status .. "` |", 1, true), name .. " in docs/cli.md")
    end
  end)

  it("help COMMAND and COMMAND --help show that command's own options", function()
    for _, name in ipairs(registry.NAMES) do
      local r = run(nil, "help " .. name)
      assert.equal(0, r.status, name)
      assert.truthy(r.out:find("^usage: mistapi%-tokens " .. name), name)
      for _, row in ipairs(registry.load(name).options or {}) do
        assert.truthy(r.out:find("--" .. row[1], 1, true), name .. " --" .. row[1])
      end
    end
    -- the factories put a command's own options first (--view right after its --privilege), the shared ones after
    local function option_names(name)
      local out = {}
      for i, row in ipairs(registry.load(name).options) do out[i] = row[1] end
      return table.concat(out, " ")
    end
    assert.equal("privilege view src-ip key-file keep-old finish name no-verify restart allow-self",
      option_names("rotate"))
    assert.equal("key-file keep-old finish name no-verify restart allow-self", option_names("self.rotate"))
    assert.equal("name privilege view src-ip key-file", option_names("create"))
    assert.equal("name key-file", option_names("self.create"))
    local r = run(nil, "delete --help")
    assert.equal(0, r.status)
    assert.truthy(r.out:find("--yes", 1, true))
    assert.equal(usage.command("delete") .. "\n", r.out)
    r = run(nil, "help frobnicate")
    assert.equal(2, r.status)
    assert.truthy(r.err:find('unknown command "frobnicate"', 1, true))
  end)

  it("bash completion completes commands, options and files from the registry", function()
    local function complete(words, cword)
      local script = ("source <(%s completion bash); COMP_WORDS=(%s %s); COMP_CWORD=%d; _mistapi_tokens; "
        .. "printf '%%s\\n' \"${COMPREPLY[@]}\""):format(q(shell.CLI), q(shell.CLI), words, cword)
      local r = shell.capture("bash -c " .. q(script))
      assert.equal(0, r.status, r.err)
      return r.out
    end
    assert.equal("list\n", complete("li", 1))
    assert.equal("--yes\n", complete("delete --y", 2))
    assert.equal("--unused-days\n", complete("list --unu", 2))
    assert.equal("--token-file\n", complete("get --token-f", 2))
    local dir = shell.private_dir()
    assert(os.execute(": > " .. q(dir .. "/ci.key")))
    assert.equal(dir .. "/ci.key\n", complete("create --key-file " .. q(dir .. "/c"), 3))
    shell.remove_tree(dir)
    local all = complete("''", 1)
    for _, name in ipairs(registry.NAMES) do
      assert.truthy(all:find("\n" .. name .. "\n", 1, true) or all:find("^" .. name .. "\n"), name)
    end
  end)

  it("refuses --token on the command line, pointing at --token-file", function()
    local r = run(nil, "list --token abc")
    assert.equal(2, r.status)
    assert.truthy(r.err:find("--token-file", 1, true))
  end)
end)

describe("list filters", function()
  local DAY = 86400
  local now = 1700000000
  local list = {
    { name = "ci-1", created_time = now - 90 * DAY, last_used = now - 40 * DAY },
    { name = "ci-2", created_time = now - 90 * DAY, last_used = now - 1 * DAY },
    { name = "ci-old-never", created_time = now - 60 * DAY },
    { name = "fresh-never", created_time = now - 3600 },
    { name = "a.b", created_time = now },
  }
  local function names(l)
    local out = {}
    for i, t in ipairs(l) do out[i] = t.name end
    return table.concat(out, " ")
  end

  it("--name matches the whole name, with * and ? only as wildcards", function()
    assert.equal("ci-1 ci-2 ci-old-never", names(filter.tokens(list, { name = "ci-*" })))
    assert.equal("ci-1 ci-2", names(filter.tokens(list, { name = "ci-?" })))
    assert.equal("", names(filter.tokens(list, { name = "ci" })))
    assert.equal("a.b", names(filter.tokens(list, { name = "a.b" })))
    assert.equal("", names(filter.tokens(list, { name = "a.c" })), "a dot is a dot")
  end)

  it("--unused-days counts from last use, or from creation for a token never used", function()
    assert.equal("ci-1 ci-old-never", names(filter.tokens(list, { unused_days = 30, now = now })))
    assert.equal("ci-1 ci-2 ci-old-never fresh-never a.b", names(filter.tokens(list, { unused_days = 0, now = now })))
    assert.equal("ci-1", names(filter.tokens(list, { unused_days = 30, name = "ci-?", now = now })))
  end)
end)

describe("mistapi-tokens conventions against the emulator", function()
  local e

  setup(function() e = emulator.start() end)
  teardown(function() if e then e:stop() end end)
  before_each(function() e:reset(); e:clear_faults() end)

  local function exists(id)
    return e:api("GET", e:tokens_path(id)) == 200
  end

  it("--key-file - writes the key alone on stdout and the token, key masked, on stderr", function()
    local r = run(e, "create --name to-stdout --privilege admin:org --key-file -")
    assert.equal(0, r.status)
    local key = r.out:match("^(%w+)\n$")
    assert.truthy(key and #key >= 20, "stdout is the key and nothing else")
    assert.equal(200, (e:api("GET", e:tokens_path(), nil, key)), "the key works")
    assert.is_nil(r.err:find(key, 1, true), "the key is not on stderr")
    assert.truthy(r.err:find("name        to-stdout", 1, true))
    assert.truthy(r.err:find(key:sub(1, 4) .. "..." .. key:sub(-4), 1, true), "masked on stderr")
    local j = run(e, "create --name to-stdout-json --privilege admin:org --key-file - --json")
    assert.equal(0, j.status)
    local jkey = j.out:match("^(%w+)\n$")
    assert.truthy(jkey)
    assert.is_nil(j.err:find(jkey, 1, true), "the key is not in the JSON on stderr")
    assert.truthy(j.err:find('"name":"to-stdout-json"', 1, true))
  end)

  it("--key-file makes a 0600 file whatever the umask, and refuses a path that exists or is a symlink", function()
    local path = tmp_path()
    local r = run(e, "create --name filed --privilege read:org --key-file " .. q(path), "umask 000;")
    assert.equal(0, r.status, r.err)
    assert.equal("600", mode_of(path))
    local key = shell.read_file(path):match("^(%w+)\n$")
    assert.truthy(key, "the file holds the key and a newline")
    assert.is_nil(r.out:find(key, 1, true))
    os.remove(path)

    local target = tmp_path()
    assert(os.execute(("ln -s %s %s"):format(q(target), q(path))))
    r = run(e, "create --name via-link --privilege read:org --key-file " .. q(path))
    assert.equal(2, r.status)
    assert.truthy(r.err:find("exists; not overwriting it", 1, true), r.err)
    assert.is_false(shell.exists(target), "nothing was written through the link")
    os.remove(path)
  end)

  it("a bad --key-file path gets our message, and nothing is created", function()
    local before = #assert(e:api("GET", e:tokens_path()) == 200 and select(2, e:api("GET", e:tokens_path())))
    local r = run(e, "create --name nowhere --privilege read:org --key-file /nonexistent-dir/x.key")
    assert.equal(2, r.status)
    assert.equal("mistapi-tokens: --key-file /nonexistent-dir/x.key: no such directory"
      .. " (mistapi-tokens --help shows the usage)\n", r.err)
    -- sysfs refuses new files even to root
    r = run(e, "create --name nowhere --privilege read:org --key-file /sys/x.key")
    assert.equal(2, r.status)
    assert.truthy(r.err:find("^mistapi%-tokens: %-%-key%-file /sys/x%.key: "
      .. "cannot create the file %(permission denied%)"), r.err)
    assert.is_nil(r.err:find("sh:", 1, true))
    local _, list = e:api("GET", e:tokens_path())
    assert.equal(before, #list, "no token was created")
  end)

  it("a create that fails leaves no key file behind", function()
    local path = tmp_path()
    -- refused by the server
    e:fault { kind = "status", status = 500, count = 10 }
    local r = run(e, "create --name fails --privilege read:org --max-retries 0 --key-file " .. q(path))
    assert.equal(5, r.status)
    assert.is_false(shell.exists(path), "no file after a 500")
    e:clear_faults()
    -- refused before sending
    r = run(e, "create --name fails --privilege read:org --src-ip 10.0.0.1/40 --key-file " .. q(path))
    assert.equal(3, r.status)
    assert.is_false(shell.exists(path), "no file after a validation error")
    -- refused for the rights of the caller
    local reader = e:make_token { name = "reader", privileges = { { role = "read", scope = "org" } } }
    r = run(e, "create --name fails --privilege admin:org --key-file " .. q(path),
      "MIST_APITOKEN=" .. reader.key .. ";")
    assert.equal(4, r.status)
    assert.is_false(shell.exists(path), "no file after a 403")
  end)

  it("delete refuses without --yes when standard input is not a terminal", function()
    local made = e:make_token { name = "keep-me" }
    local r = run(e, "delete " .. made.id .. " </dev/null")
    assert.equal(2, r.status)
    assert.truthy(r.err:find("--yes", 1, true))
    assert.equal("", r.out)
    assert.is_true(exists(made.id))
    r = run(e, "delete --yes " .. made.id .. " </dev/null")
    assert.equal(0, r.status)
    assert.is_false(exists(made.id))
  end)

  it("delete on a terminal asks, and only yes deletes", function()
    local made = e:make_token { name = "ask-me" }
    -- `script` gives the CLI a pseudo-terminal; the answer is typed into it
    local function on_terminal(answer)
      local cmd = ("%s %s delete %s"):format(shell.client_env(e), q(shell.CLI), made.id)
      return shell.capture(("printf %s | script -qec %s /dev/null"):format(q(answer .. "\n"), q(cmd)))
    end
    local r = on_terminal("n")
    assert.equal(1, r.status)
    assert.truthy(r.out:find('delete token "ask-me" (' .. made.id .. ")?", 1, true), r.out)
    assert.truthy(r.out:find("[y/N]", 1, true))
    assert.truthy(r.out:find("not done", 1, true))
    assert.is_true(exists(made.id))
    r = on_terminal("y")
    assert.equal(0, r.status)
    assert.truthy(r.out:find('deleted "ask-me" (' .. made.id .. ")", 1, true))
    assert.is_false(exists(made.id))
  end)

  it("--debug shows each request and attempt, with no token or key in it", function()
    e:fault { kind = "status", status = 503, count = 1 }
    local r = run(e, "list --debug")
    assert.equal(0, r.status, r.err)
    local path = e:tokens_path()
    assert.truthy(r.err:find("debug: GET " .. e.url .. path .. "?limit=", 1, true)
      or r.err:find("debug: GET " .. e.url .. path .. " ", 1, true), r.err)
    assert.truthy(r.err:find("%-> 503 in [%d.]+ s %(attempt 1%)"), r.err)
    assert.truthy(r.err:find("%-> 200 in [%d.]+ s %(attempt 2%)"), r.err)
    assert.is_nil(r.err:find(e.token, 1, true))

    local c = run(e, "-v create --name debugged --privilege read:org --json")
    assert.equal(0, c.status)
    local key = c.out:match('"key":"(%w+)"')
    assert.truthy(key)
    assert.truthy(c.err:find("debug: POST " .. e.url .. path .. " -> 200", 1, true), c.err)
    assert.is_nil(c.err:find(key, 1, true), "no key in the debug lines")
    assert.is_nil(c.err:find(e.token, 1, true), "no API token in the debug lines")
    -- a secret the server echoes into a path-like place is still taken out
    local scrubbed = require("mistapi.cli.secrets").scrub("GET /x/" .. e.token, { e.token })
    assert.is_nil(scrubbed:find(e.token, 1, true))
  end)

  it("--token-file FILE and - give the API token; problems are told in CLI words", function()
    local file = tmp_path()
    local f = assert(io.open(file, "w"))
    f:write(e.token, "\n")
    f:close()
    local r = run(e, "list --token-file " .. q(file), "unset MIST_APITOKEN;")
    assert.equal(0, r.status, r.err)
    r = run(e, "list --token-file - <" .. q(file), "unset MIST_APITOKEN;")
    assert.equal(0, r.status, r.err)
    os.remove(file)
    r = run(e, "list --token-file " .. q(file), "unset MIST_APITOKEN;")
    assert.equal(2, r.status)
    assert.truthy(r.err:find("^mistapi%-tokens: %-%-token%-file [^\n]*: no such file"), r.err)
    r = run(e, "list", "unset MIST_APITOKEN; export HOME=/nonexistent;")
    assert.equal(2, r.status)
    assert.equal("mistapi-tokens: no API token: set MIST_APITOKEN, use --token-file FILE, or put MIST_APITOKEN in"
      .. " --env-file FILE (looked in: $MIST_APITOKEN, $MIST_API_TOKEN, $MIST_USER/$MIST_PASSWORD, the env file"
      .. " ~/.mist_env (none there))\n", r.err)
    -- --env-file names a file to read the token from
    local env_file = os.tmpname()
    f = assert(io.open(env_file, "w"))
    f:write("MIST_APITOKEN=", e.token, "\n")
    f:close()
    r = run(e, "list --env-file " .. q(env_file), "unset MIST_APITOKEN; export HOME=/nonexistent;")
    os.remove(env_file)
    assert.equal(0, r.status, r.err)
  end)

  it("says an HTTP error once, as 'mistapi-tokens: 404 ...'", function()
    local r = run(e, "get 00000000-0000-4000-8000-000000000000")
    assert.equal(4, r.status)
    assert.truthy(r.err:find("^mistapi%-tokens: 404 GET /api/v1/orgs/"), r.err)
    -- and names the API that said it
    assert.truthy(r.err:find(" (" .. e.url .. ")\n", 1, true), r.err)
    assert.is_nil(r.err:find("mistapi:", 1, true))
    assert.is_nil(r.err:find("\n.", 1))
  end)

  it("list --name and --unused-days keep the tokens asked for", function()
    e:make_token { name = "ci-a" }
    e:make_token { name = "ci-b" }
    e:make_token { name = "other" }
    local r = run(e, "list --name 'ci-*' --json")
    assert.equal(0, r.status)
    local cjson = require "cjson"
    local names = {}
    for _, t in ipairs(cjson.decode(r.out)) do names[#names + 1] = t.name end
    table.sort(names)
    assert.same({ "ci-a", "ci-b" }, names)
    -- every token here was made moments ago: none is unused for a day, all for 0 days
    r = run(e, "list --unused-days 1 --json")
    assert.equal("[]\n", r.out)
    r = run(e, "list --unused-days 0 --name 'ci-?' --json")
    assert.equal(2, #cjson.decode(r.out))
    assert.equal(2, run(e, "list --unused-days -1").status)
  end)
end)
