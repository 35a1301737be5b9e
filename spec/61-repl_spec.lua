-- `make repl` driven as a person would: in a terminal (tmux), typing lines and
-- reading the screen. Screens are checked with find() so a failure never
-- prints what was on them.
local core = require "mistapi.core"
local shell = require "support.shell"

local SOCKET = ("mistapi-spec-%d-%d"):format(os.time(), math.random(1, 1e6))
local SESSION = "repl"
local ROOT = os.getenv("PWD") or "."

local q = shell.quote

local function tmux(args)
  local p = assert(io.popen("tmux -L " .. SOCKET .. " " .. args .. " 2>/dev/null"))
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local function screen()
  return (tmux("capture-pane -p -J -S -300 -t " .. SESSION))
end

-- Waits (at most about `seconds`) until the screen shows `text`; true if it did.
local function wait_for(text, seconds)
  for _ = 1, math.floor((seconds or 10) / 0.05) do
    if screen():find(text, 1, true) then return true end
    core.sleep(0.05)
  end
  return false
end

local function type_line(line)
  tmux("send-keys -t " .. SESSION .. " -l -- " .. q(line))
  tmux("send-keys -t " .. SESSION .. " Enter")
end

local function lines_with(text, needle)
  local found = {}
  for line in text:gmatch("[^\n]+") do
    if line:find(needle, 1, true) then found[#found + 1] = line end
  end
  return found
end

describe("make repl", function()
  local started = false

  setup(function()
    local cmd = ("cd %s && make -s repl; echo REPL-ENDED-$?"):format(q(ROOT))
    local _, ok = tmux(("new-session -d -s %s -x 200 -y 60 %s"):format(SESSION, q(cmd)))
    assert(ok, "tmux could not start")
    tmux("set-option -t " .. SESSION .. " remain-on-exit on")
    started = wait_for("> ", 60) and wait_for("ready: mistapi, client, tokens", 5)
  end)

  teardown(function()
    tmux("kill-server")
  end)

  it("opens a session with the client, tokens and org_id ready", function()
    assert.is_true(started, "the REPL did not show its banner")
    local s = screen()
    local url = s:match("mistapi %S+ on (http://127%.0%.0%.1:%d+)")
    assert.is_truthy(url, "the banner names the emulator's URL")
    type_line('print(type(client), type(tokens), #org_id)')
    -- the terminal shows the REPL's tabs as spaces to the next tab stop
    assert.is_true(wait_for("table   table   36", 10))
  end)

  it("shows a created token on one line with its key masked", function()
    type_line('res = tokens:create_org_api_token(org_id, { name = "repl_one", '
      .. 'privileges = { { role = "admin", scope = "org" } } })')
    type_line("res")
    assert.is_true(wait_for("mistapi.Result 200: repl_one  ", 15), "the result line")
    local line = lines_with(screen(), "mistapi.Result 200: repl_one")[1]
    local utc = "%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%dZ"
    assert.is_truthy(line:find("  admin@org  created " .. utc .. "  last used never  key %w%w%w%w%.%.%.%w%w%w%w$"),
      "name, privileges, UTC times and a masked key")
    -- the whole key (a long run of letters and digits) is nowhere on screen
    assert.is_nil(screen():find(("%w"):rep(20)))
    type_line("#res.data.key > 11, res.data.name")
    assert.is_true(wait_for("true    repl_one", 10), "data stays a plain table")
  end)

  it("shows a list as an aligned table", function()
    type_line('tokens:create_org_api_token(org_id, { name = "repl_two_longer_name", '
      .. 'privileges = { { role = "read", scope = "org" } } }) and "made"')
    assert.is_true(wait_for("made", 10))
    type_line("tokens:list_org_api_tokens(org_id)")
    assert.is_true(wait_for("LAST USED", 10), "the table header")
    local s = screen()
    local header = lines_with(s, "LAST USED")[1]
    local one = lines_with(s, "repl_one  ")
    local two = lines_with(s, "repl_two_longer_name  ")
    one, two = one[#one], two[#two]
    assert.is_truthy(one and two, "both rows shown")
    for _, col in ipairs { "ID", "PRIVILEGES", "CREATED", "KEY" } do
      local at = header:find(col, 1, true)
      assert.is_truthy(at)
      assert.is_truthy(one:sub(at - 2, at - 1) == "  " and two:sub(at - 2, at - 1) == "  ",
        col .. " starts at the same column in every row")
    end
    assert.is_nil(s:find(("%w"):rep(20)))
  end)

  it("shows an error as one line", function()
    type_line('tokens:get_org_api_token(org_id, "00000000-0000-4000-8000-000000000000")')
    assert.is_true(wait_for("mistapi: 404 GET /api/v1/orgs/", 10), "the error line")
    local line = lines_with(screen(), "mistapi: 404 GET")[1]
    assert.is_truthy(line:find("^nil%s+mistapi: 404 GET /api/v1/orgs/[%x%-]+/apitokens/0+%-0+%-4000%-8000%-0+: .+$"))
  end)

  it("lists the operations with mistapi.help(), once", function()
    type_line("mistapi.help()")
    assert.is_true(wait_for("DELETE tokens:delete_org_api_token(org_id, apitoken_id)", 10))
    local s = screen()
    local after = s:sub(select(2, s:find("> mistapi.help()", 1, true)))
    for _, usage in ipairs { "POST   tokens:create_org_api_token(org_id, {",
                             "GET    tokens:get_org_api_token(org_id, ",
                             "GET    tokens:list_org_api_tokens(org_id",
                             "PUT    tokens:update_org_api_token(org_id, " } do
      assert.is_truthy(after:find(usage, 1, true), usage)
    end
    local _, shown = after:gsub("tokens:delete_org_api_token%(", "")
    assert.equal(1, shown)
  end)

  it("stops the emulator when the REPL exits", function()
    local url = screen():match("mistapi %S+ on (http://127%.0%.0%.1:%d+)")
    type_line("os.exit()")
    assert.is_true(wait_for("REPL-ENDED-0", 20), "make repl ended cleanly")
    assert.is_true(wait_for("emulator stopped", 1))
    local port = url and url:match(":(%d+)$")
    assert.is_truthy(port)
    local probe = io.popen(("bash -c '(exec 3<>/dev/tcp/127.0.0.1/%s) 2>/dev/null && echo open || echo closed'")
      :format(port))
    local state = probe:read("a")
    probe:close()
    assert.equal("closed\n", state)
  end)
end)
