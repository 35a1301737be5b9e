-- `make repl` driven as a person would: in a terminal (tmux), typing lines,
-- pressing Tab and reading the screen. Screens are checked with find() so a
-- failure never prints what was on them. Each test clears the screen first
-- and makes what it needs, so they pass in any order.
local core = require "mistapi.core"
local shell = require "support.shell"

local ROOT = os.getenv("PWD") or "."
local q = shell.quote
local UNKNOWN = "00000000-0000-4000-8000-000000000000"

-- n random bytes as hex: tmux servers are per user, and runs of this spec
-- at once (or LuaJIT's unseeded math.random) must not share a socket name
local function random_hex(n)
  local f = assert(io.open("/dev/urandom", "rb"))
  local bytes = f:read(n)
  f:close()
  return (bytes:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

-- One REPL in its own tmux server, with its own HOME (for the history file).
local Session = {}
Session.__index = Session

local function new_session()
  local s = setmetatable({
    socket = "mistapi-spec-" .. random_hex(8),
    home = os.tmpname(),
  }, Session)
  os.remove(s.home)
  assert(os.execute("mkdir -m 700 " .. q(s.home)))
  return s
end

function Session:tmux(args)
  local p = assert(io.popen("tmux -L " .. self.socket .. " " .. args .. " 2>/dev/null"))
  local out = p:read("*a")
  local ok = p:close()
  return out, ok
end

function Session:screen()
  return (self:tmux("capture-pane -p -J -S -400 -t repl"))
end

-- Waits (at most about `seconds`) until the screen shows `text`; true if it did.
function Session:wait_for(text, seconds)
  for _ = 1, math.floor((seconds or 10) / 0.05) do
    if self:screen():find(text, 1, true) then return true end
    core.sleep(0.05)
  end
  return false
end

function Session:keys(text) self:tmux("send-keys -t repl -l -- " .. q(text)) end
function Session:press(key) self:tmux("send-keys -t repl " .. key) end
function Session:line(text)
  self:keys(text)
  self:press("Enter")
end

-- A clean screen and scrollback, and a marker to wait for: the prompt is ready.
function Session:clear()
  self:press("C-u")
  self:tmux("clear-history -t repl")
  self:line("-- ready")
  assert(self:wait_for("mistapi> -- ready", 10), "the prompt came back")
  self:press("C-l")
  self:tmux("clear-history -t repl")
  core.sleep(0.1)
end

function Session:start()
  local cmd = ("cd %s && HOME=%s make -s repl; echo REPL-ENDED-$?"):format(q(ROOT), q(self.home))
  local _, ok = self:tmux(("new-session -d -s repl -x 200 -y 60 %s"):format(q(cmd)))
  assert(ok, "tmux could not start")
  self:tmux("set-option -t repl remain-on-exit on")
  return self:wait_for("mistapi> ", 60) and self:wait_for("ready: mistapi, client, tokens", 5)
end

function Session:stop()
  -- leave the REPL the usual way, so make's trap stops its emulator, then the terminal
  self:press("C-u")
  self:line("os.exit()")
  self:wait_for("REPL-ENDED", 20)
  self:tmux("kill-server")
  os.execute("rm -rf " .. q(self.home))
end

local function lines_with(text, needle)
  local found = {}
  for line in text:gmatch("[^\n]+") do
    if line:find(needle, 1, true) then found[#found + 1] = line end
  end
  return found
end

describe("make repl", function()
  local s, started

  setup(function()
    s = new_session()
    started = s:start()
  end)
  teardown(function() s:stop() end)
  before_each(function()
    assert.is_true(started, "the REPL did not show its banner")
    s:clear()
  end)

  it("opens a session with the client, tokens and org_id ready", function()
    s:line('print(type(client), type(tokens), #org_id)')
    -- the terminal shows the REPL's tabs as spaces to the next tab stop
    assert.is_true(s:wait_for("table   table   36", 10))
  end)

  it("prints each expression's values, as = does, and nothing for a statement", function()
    s:line("x = 40")
    s:line("x + 2, 'two', nil")
    assert.is_true(s:wait_for("42      two     nil", 10))
    s:line("for i = 1, 2 do")
    s:line("  print('loop', i) end")
    assert.is_true(s:wait_for("loop    2", 10), "a statement over two lines")
    s:line("local kept = 'across lines'")
    s:line("kept")
    assert.is_true(s:wait_for("\nacross lines", 10), "a local typed at the prompt lives on")
    s:line("{ a = 1, list = { 'x', 'y' } }")
    assert.is_true(s:wait_for('{ a = 1, list = [ "x", "y" ] }', 10), "a plain table laid out")
  end)

  it("stays open after a Ctrl-C", function()
    s:keys("half typed")
    s:press("C-c")
    core.sleep(0.3)
    s:press("C-u")
    s:line("'still here'")
    assert.is_true(s:wait_for("\nstill here", 10), "the session goes on")
  end)

  it("completes mistapi., client:, tokens: and fields with Tab, from the objects themselves", function()
    s:keys("tokens:create_o")
    s:press("Tab")
    assert.is_true(s:wait_for("mistapi> tokens:create_org_api_token(", 5))
    s:press("C-u")
    s:keys("mistapi.ne")
    s:press("Tab")
    assert.is_true(s:wait_for("mistapi> mistapi.new(", 5))
    s:press("C-u")
    -- an ambiguous start lists every method the client has (readline: the
    -- second Tab completes what they share, the third lists them)
    s:keys("client:")
    s:press("Tab"); s:press("Tab"); s:press("Tab")
    assert.is_true(s:wait_for("client:orgs_api_tokens(", 5))
    local screen = s:screen()
    assert.truthy(screen:find("client:get_self(", 1, true))
    assert.truthy(screen:find("client:self_api_tokens(", 1, true), "a resource added later completes too")
    s:press("C-u")
    s:line('made = tokens:create_org_api_token(org_id, { name = "completed", '
      .. 'privileges = { { role = "admin", scope = "org" } } })')
    s:keys("made.data.privi")
    s:press("Tab")
    assert.is_true(s:wait_for("mistapi> made.data.privileges", 5), "a field of a result")
    s:press("Enter")
    assert.is_true(s:wait_for("[ admin@org ]", 10), "an array of privileges prints readably")
  end)

  it("shows a created token on one line with its key masked", function()
    s:line('res = tokens:create_org_api_token(org_id, { name = "repl_one", '
      .. 'privileges = { { role = "admin", scope = "org" } } })')
    s:line("res")
    assert.is_true(s:wait_for("mistapi.Result 200: repl_one  ", 15), "the result line")
    local line = lines_with(s:screen(), "mistapi.Result 200: repl_one")[1]
    local utc = "%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%dZ"
    assert.is_truthy(line:find("  admin@org  created " .. utc .. "  last used never  key %w%w%w%w%.%.%.%w%w%w%w$"),
      "name, privileges, UTC times and a masked key")
    -- the whole key (a long run of letters and digits) is nowhere on screen
    assert.is_nil(s:screen():find(("%w"):rep(20)))
    s:line("#res.data.key > 11, res.data.name")
    assert.is_true(s:wait_for("true    repl_one", 10), "data stays a plain table")
  end)

  it("shows a list as an aligned table", function()
    s:line('tokens:create_org_api_token(org_id, { name = "repl_two_longer_name", '
      .. 'privileges = { { role = "read", scope = "org" } } }) and "made"')
    assert.is_true(s:wait_for("made", 10))
    s:line("tokens:list_org_api_tokens(org_id)")
    assert.is_true(s:wait_for("LAST USED", 10), "the table header")
    -- the rows may still be on their way to the screen: wait for both
    assert.is_true(s:wait_for("emulator bootstrap token  ", 10) and s:wait_for("repl_two_longer_name  ", 10))
    local screen = s:screen()
    local header = lines_with(screen, "LAST USED")[1]
    local boot = lines_with(screen, "emulator bootstrap token  ")
    local two = lines_with(screen, "repl_two_longer_name  ")
    boot, two = boot[#boot], two[#two]
    assert.is_truthy(boot and two, "both rows shown")
    for _, col in ipairs { "ID", "PRIVILEGES", "CREATED", "KEY" } do
      local at = header:find(col, 1, true)
      assert.is_truthy(at)
      assert.is_truthy(boot:sub(at - 2, at - 1) == "  " and two:sub(at - 2, at - 1) == "  ",
        col .. " starts at the same column in every row")
    end
    assert.is_nil(screen:find(("%w"):rep(20)))
  end)

  it("prints the first screenful of a long list and how many more", function()
    s:line('seeded = client:request("POST", "/_emulator/seed", { body = { count = 251 } })')
    s:line('seeded and #seeded.data.ids == 251 and "seeded"')
    assert.is_true(s:wait_for("seeded", 20))
    s:press("C-l")
    s:tmux("clear-history -t repl")
    s:line("all = tokens:list_all_org_api_tokens(org_id)")
    s:line("all.attempts, all.token_index")
    assert.is_true(s:wait_for("3       1", 20), "a whole list carries attempts (3 pages) and token_index")
    s:line("print(all)")
    assert.is_true(s:wait_for(" more (", 20))
    local screen = s:screen()
    local total, shown = screen:match("mistapi%.Result 200: (%d+) tokens %(the first (%d+) shown%)")
    assert.is_truthy(total, "the header says how many and how many are shown")
    total, shown = tonumber(total), tonumber(shown)
    assert.is_true(total >= 252)
    assert.is_true(shown < 60, "no more than the 60-line terminal")
    assert.truthy(screen:find(("... %d more (%d in all"):format(total - shown, total), 1, true))
    local rows = #lines_with(screen, "  admin@org  ")
    assert.is_true(rows <= shown + 1, "the rows shown are one screenful")
    -- the other tests of this session list tokens too: leave as few as before
    s:line('tokens:delete_org_api_tokens(org_id, seeded.data.ids).failed == 0 and "unseeded"')
    assert.is_true(s:wait_for("unseeded", 30))
  end)

  it("prints a bulk result item by item and get_self's answer field by field", function()
    s:line('one = tokens:create_org_api_token(org_id, { name = "bulk_one", '
      .. 'privileges = { { role = "admin", scope = "org" } } })')
    s:line(('tokens:get_org_api_tokens(org_id, { one.data.id, %q })'):format(UNKNOWN))
    assert.is_true(s:wait_for("2 asked, 1 done, 1 failed", 10))
    local screen = s:screen()
    assert.truthy(screen:find("\n[1] bulk_one  ", 1, true))
    assert.truthy(screen:find("\n[2] failed: mistapi: 404 GET ", 1, true))
    s:line(('tokens:delete_org_api_tokens(org_id, { one.data.id })'))
    assert.is_true(s:wait_for("mistapi.Result 200: 1 asked, 1 done, 0 failed", 10))
    assert.is_true(s:wait_for("[1] done", 5))
    s:line("client:get_self()")
    assert.is_true(s:wait_for('name = "emulator bootstrap token"', 10))
    assert.is_nil(s:screen():find("mistapi.Result 200: table", 1, true))
  end)

  it("shows an error as one line; in the raising style with the line it came from", function()
    s:line(('tokens:get_org_api_token(org_id, %q)'):format(UNKNOWN))
    assert.is_true(s:wait_for("nil     mistapi: 404 GET /api/v1/orgs/", 10), "the error line")
    local line = lines_with(s:screen(), "nil     mistapi: 404 GET")[1]
    assert.is_truthy(line:find("^nil%s+mistapi: 404 GET /api/v1/orgs/[%x%-]+/apitokens/0+%-0+%-4000%-8000%-0+: .+$"))
    s:line('loud = require("mistapi.raising").wrap(client):orgs_api_tokens()')
    s:line(('loud:get_org_api_token(org_id, %q)'):format(UNKNOWN))
    assert.is_true(s:wait_for("(raised at stdin:1)", 10))
  end)

  it("help() lists every call once, and help(fn) shows one", function()
    s:line("help()")
    assert.is_true(s:wait_for("history is kept in", 10))
    local screen = s:screen()
    for _, usage in ipairs { "POST   tokens:create_org_api_token(org_id, {",
                             "GET    tokens:get_org_api_token(org_id, ",
                             "GET    tokens:list_org_api_tokens(org_id",
                             "PUT    tokens:update_org_api_token(org_id, " } do
      assert.is_truthy(screen:find(usage, 1, true), usage)
    end
    local _, n = screen:gsub("tokens:delete_org_api_token%(", "")
    assert.equal(1, n)
    s:line("help(tokens.create_org_api_token)")
    assert.is_true(s:wait_for("POST /api/v1/orgs/{org_id}/apitokens", 10))
    s:line("help(tokens.list_all_org_api_tokens)")
    assert.is_true(s:wait_for("every  tokens:list_all_org_api_tokens(org_id)", 10))
    -- a helper shared by every resource is told by the value before it
    s:line("mine = client:self_api_tokens()")
    s:line("help(mine.list_all_api_tokens)")
    assert.is_true(s:wait_for("every  mine:list_all_api_tokens()", 10))
    s:line("help(tokens.rotate_org_api_token)")
    assert.is_true(s:wait_for("life   tokens:rotate_org_api_token(org_id, id,", 10), "a lifecycle method")
    s:line("help(client.get_self)")
    assert.is_true(s:wait_for("GET /api/v1/self", 10))
  end)
end)

describe("make repl, from start to end", function()
  local s

  setup(function() s = new_session() end)
  teardown(function() s:stop() end)

  it("keeps history in a 0600 file without the lines that hold a key, and stops the emulator", function()
    assert.is_true(s:start(), "the REPL did not show its banner")
    local url = s:screen():match("mistapi %S+ on (http://127%.0%.0%.1:%d+)")
    assert.is_truthy(url, "the banner names the emulator's URL")
    s:line("kept_line = 1")
    local secret = ("Ab3"):rep(10)
    s:line(('typed = "%s"'):format(secret))
    s:line("os.exit()")
    assert.is_true(s:wait_for("REPL-ENDED-0", 20), "make repl ended cleanly")
    assert.is_true(s:wait_for("emulator stopped", 1))
    local history = s.home .. "/.mistapi_history"
    local p = assert(io.popen("stat -c %a " .. q(history)))
    assert.equal("600", p:read("*l"))
    p:close()
    local text = shell.read_file(history)
    assert.truthy(text:find("kept_line = 1\n", 1, true))
    assert.truthy(text:find("os.exit()\n", 1, true))
    assert.is_nil(text:find(secret, 1, true), "a line with a key-like string is not kept")
    local port = url:match(":(%d+)$")
    local probe = io.popen(("bash -c '(exec 3<>/dev/tcp/127.0.0.1/%s) 2>/dev/null && echo open || echo closed'")
      :format(port))
    local state = probe:read("*a")
    probe:close()
    assert.equal("closed\n", state)
  end)
end)
