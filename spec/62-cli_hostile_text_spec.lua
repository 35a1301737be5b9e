-- Server text on every line mistapi-tokens writes: a token name, the org's
-- name (whoami), an audit's details, an error's detail and a redirect's
-- Location holding escape sequences (CSI, OSC), C1 controls, DEL, CR/LF and
-- bytes that aren't UTF-8 come out under mistapi.text's one character rule
-- in list, get, audit, plan, apply (the plan shown before the question),
-- delete's question, rotate, whoami, --debug and error lines; --json stays
-- JSON (lua-cjson reads it back) with those characters escaped. Runs the CLI
-- in this process (mistapi.cli.main.run, as bin/mistapi-tokens does).
local emu = require "support.emulator"
local shell = require "support.shell"
local cli_run = require("support.cli").run
local cjson = require "cjson"

-- What a hostile server puts in a name: clear the screen, set the window
-- title, a C1 CSI with its parameters, DEL, CR and LF.
local EVIL = "app-\27[2J\27]0;pwned\7x\194\155" .. "31my\127z\r\nw"
-- The same under the rule: each sequence or control one "?".
local SHOWN = "app-??x?y?z??w"

-- Whether s is valid UTF-8 (by hand: LuaJIT has no utf8 library).
local function valid_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local c = s:byte(i)
    local len = c < 0x80 and 1 or (c >= 0xC2 and c <= 0xDF) and 2 or (c >= 0xE0 and c <= 0xEF) and 3
      or (c >= 0xF0 and c <= 0xF4) and 4 or nil
    if not len then return false end
    for k = 1, len - 1 do
      local b = s:byte(i + k)
      if not b or b < 0x80 or b > 0xBF then return false end
    end
    i = i + len
  end
  return true
end

-- Nothing of the hostile text can act on a terminal: no ESC, BEL, CR, DEL,
-- C1, no other C0 but the lines' own LF, valid UTF-8, and no leftover of a
-- sequence's body (JSON shows a sequence's body as text, its ESC escaped).
local function assert_clean(s, what, json)
  assert.is_nil(s:find("[%z\1-\9\11-\31\127]"), what .. ": a control character in " .. ("%q"):format(s))
  assert.is_nil(s:find("\194[\128-\159]"), what .. ": a C1 control in " .. ("%q"):format(s))
  assert.is_true(valid_utf8(s), what .. ": not UTF-8: " .. ("%q"):format(s))
  if json then return end
  assert.is_nil(s:find("pwned", 1, true), what .. ": an OSC's body shown in " .. s)
  assert.is_nil(s:find("[2J", 1, true), what .. ": a CSI's body shown")
  assert.is_nil(s:find("31m", 1, true), what .. ": a C1 CSI's parameters shown")
end

describe("mistapi-tokens with hostile server text", function()
  local e, dir

  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function()
    e:reset()
    dir = shell.private_dir()
  end)
  after_each(function() shell.remove_tree(dir) end)

  -- One command line in this process; `answer` given: a terminal that answers it.
  local function cli(argv, answer)
    local r = cli_run(e, argv, { answer = answer })
    local json = false
    for _, a in ipairs(argv) do json = json or a == "--json" end
    assert_clean(r.out, table.concat(argv, " ") .. " (stdout)", json)
    assert_clean(r.err, table.concat(argv, " ") .. " (stderr)")
    return r
  end

  -- JSON output: valid, those characters escaped, the name read back whole.
  local function json_of(r)
    assert.is_nil(r.out:find("[\27\127]"))
    local ok, doc = pcall(cjson.decode, r.out)
    assert.is_true(ok, r.out)
    return doc
  end

  local function evil_token()
    return e:make_token { name = EVIL, privileges = { { role = "read", scope = "org" } } }
  end

  it("list and get show the name on one line under the rule; --json escapes it", function()
    local t = evil_token()
    local r = cli { "list" }
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find(SHOWN, 1, true), r.out)
    r = cli { "get", t.id }
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find("name        " .. SHOWN .. "\n", 1, true), r.out)

    local names = {}
    for _, tok in ipairs(json_of(cli { "list", "--json" })) do names[tok.name] = true end
    assert.is_true(names[EVIL])
    local one = cli { "get", t.id, "--json" }
    assert.truthy(one.out:find("\\u009b", 1, true), "the C1 CSI as an escape")
    assert.equal(EVIL, json_of(one).name)
  end)

  it("audit shows the names and its details under the rule; --json escapes them", function()
    evil_token()
    evil_token()
    local r = cli { "audit" }
    assert.equal(1, r.status, r.err)
    assert.truthy(r.out:find("duplicate_name", 1, true), r.out)
    assert.truthy(r.out:find(SHOWN, 1, true), r.out)
    local doc, dup = json_of(cli { "audit", "--json" }), nil
    for _, finding in ipairs(doc.findings) do
      if finding.rule == "duplicate_name" then dup = finding end
    end
    assert.equal(EVIL, dup.name)
  end)

  it("plan and apply show the plan under the rule, before the question; delete's question too", function()
    local t = evil_token()
    local state = dir .. "/state.json"
    local f = assert(io.open(state, "w"))
    f:write('{"prefix":"app-","tokens":{}}')
    f:close()
    local r = cli { "plan", state, "--prune" }
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find("  - destroy " .. SHOWN .. " (" .. t.id .. ")", 1, true), r.out)
    assert.equal(EVIL, json_of(cli { "plan", state, "--prune", "--json" }).steps[1].name)

    r = cli({ "apply", state, "--prune" }, "no")
    assert.equal(1, r.status, r.err)
    assert.truthy(r.out:find("  - destroy " .. SHOWN, 1, true), r.out)
    assert.truthy(r.err:find("apply these changes?", 1, true), r.err)

    r = cli({ "delete", t.id }, "no")
    assert.equal(1, r.status, r.err)
    assert.truthy(r.err:find('delete token "' .. SHOWN .. '" (' .. t.id .. ")?", 1, true), r.err)
    -- without a terminal the refusal names it whole too
    r = cli { "delete", t.id }
    assert.equal(2, r.status, r.err)
    assert.truthy(r.err:find('delete token "' .. SHOWN .. '" (' .. t.id .. "): standard input", 1, true), r.err)
    assert.equal(1, #e:all_tokens() - 1, "nothing was deleted")
  end)

  it("rotate names the new token under the rule", function()
    local t = evil_token()
    local r = cli { "rotate", t.id, "--key-file", dir .. "/app.key" }
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find("(" .. SHOWN .. ")", 1, true), r.out)
  end)

  it("whoami shows the org's name under the rule; --json escapes it", function()
    e:name_org(EVIL)
    local r = cli { "whoami" }
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find(SHOWN, 1, true), r.out)
    assert.truthy(cli({ "whoami", "--json" }).out:find("\\u009b", 1, true))
  end)

  it("error and --debug lines show a server's detail and Location on one line under the rule", function()
    e:fault { kind = "status", status = 400, count = 1, method = "GET", path = e:tokens_path(),
      body = cjson.encode { detail = "bad " .. EVIL } }
    local r = cli { "--debug", "list" }
    assert.equal(4, r.status, r.err)
    assert.truthy(r.err:find("bad app-", 1, true), r.err)
    local lines = 0
    for _ in r.err:gmatch("[^\n]*\n") do lines = lines + 1 end
    assert.equal(2, lines, "one debug line and one error line: " .. r.err)

    -- (nginx writes C0 controls in a header as %XX; bytes that aren't UTF-8 and C1 go as they are)
    e:fault { kind = "redirect", count = 1, method = "GET", path = e:tokens_path(),
      location = "http://elsewhere.invalid/\255\194\155" .. "2Jx" }
    r = cli { "list" }
    assert.is_true(r.status ~= 0)
    assert.truthy(r.err:find("redirect to http://elsewhere.invalid/ x not followed", 1, true), r.err)
  end)
end)
