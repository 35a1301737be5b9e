--- The interactive session of `make repl`: the globals `mistapi`, `client`,
-- `tokens`, `org_id`, `display` and `help`, made from the environment; a
-- prompt with line editing, Tab completion and history when Debian's
-- lua-readline is there (plain lines when it isn't, or when standard input is
-- no terminal); each expression's values printed as `=` prints them, tables
-- laid out readably and keys masked.
--   lua5.4 -e 'require "mistapi.cli.repl".main()'
-- @module mistapi.cli.repl

local display = require "mistapi.display"
local text_rule = require "mistapi.text"
local complete = require "mistapi.cli.repl_complete"
local help = require "mistapi.cli.repl_help"

local repl = {}

local BANNER = [[
mistapi %s on %s
  ready: mistapi, client, tokens = client:orgs_api_tokens(), org_id = %s
  try:   tokens:list_org_api_tokens(org_id)
         res = tokens:create_org_api_token(org_id,
                 { name = "demo", privileges = { { role = "admin", scope = "org" } } })
         help()   -- every call; help(tokens.create_org_api_token) for one; Tab completes]]

--- Makes the session's globals; prints the banner, or the reason it can't.
-- @param getenv the environment lookup (default os.getenv)
-- @param client optional: a client made already (the CLI's, from its options)
-- @return the client, or nil and an error
function repl.start(getenv, client)
  getenv = getenv or os.getenv
  local mistapi = require "mistapi"
  rawset(_G, "mistapi", mistapi)
  rawset(_G, "display", display)
  local err
  if not client then
    client, err = mistapi.new { getenv = getenv }   -- MIST_HOST, MIST_APITOKEN, MIST_ENV_FILE...
  end
  if not client then
    io.stderr:write(tostring(err), "\n")
    return nil, err
  end
  local org_id = client.settings.org_id
  rawset(_G, "client", client)
  rawset(_G, "tokens", client:orgs_api_tokens())
  rawset(_G, "org_id", org_id)
  rawset(_G, "help", function(what, text) help.show(what, client, repl.history_path, text) end)
  print(BANNER:format(mistapi._VERSION, client.settings.base_url, org_id or "nil (set MIST_ORG_ID)"))
  return client
end

-- A value as the REPL shows it: tables without a look of their own laid out.
local function shown(v)
  if type(v) == "table" then
    local mt = getmetatable(v)
    if not (type(mt) == "table" and rawget(mt, "__tostring")) then return display.value(v) end
  end
  return tostring(v)
end
repl.shown = shown

--- The text of an error that reached the prompt: a mistapi error as its
-- message (with the caller's line, in the raising style), anything else with
-- the traceback down to the line typed.
function repl.error_text(err, traceback)
  local errors = require "mistapi.errors"
  if errors.is_error(err) then return tostring(err) end
  local text = type(err) == "string" and err or shown(err)
  if traceback then
    -- keep the frames of the code the user ran, not the REPL's own
    local kept = {}
    for line in traceback:gmatch("[^\n]+") do
      if line:find("mistapi/cli/repl", 1, true) or line:find("[C]: in function 'xpcall'", 1, true) then break end
      kept[#kept + 1] = line
    end
    if #kept > 1 then text = text .. "\n" .. table.concat(kept, "\n", 2) end
  end
  return text
end

local function pack(...) return { n = select("#", ...), ... } end

--- Compiles and runs one chunk the way the prompt does.
-- @return "incomplete" when more lines are needed, else true
function repl.eval(chunk, out)
  out = out or print
  local code = chunk:gsub("^%s*=", "")
  -- each chunk is a function of its own, so a `local` would be gone by the
  -- next line: at the prompt, `local x = ...` and `local function f` make globals
  code = code:gsub("^(%s*)local%s+function%s", "%1function "):gsub("^(%s*)local%s+([%a_][%w_%s,]*=)", "%1%2")
  -- help(mine.list_all_api_tokens): the helpers are shared functions, so tell
  -- help how it was written
  local asked = code:match("^%s*help%s*%(%s*([%a_][%w_]*[%.:][%w_%.:]*)%s*%)%s*$")
  if asked then code = ("help(%s, %q)"):format(asked:gsub(":", "."), asked) end
  -- An expression list is run as pack(<list>): no tail call, so a raised
  -- error can still name the line typed ("stdin:1").
  local f = load("local pack = ...; return pack(" .. code .. "\n)", "=stdin", "t", _G)
  local as_expression = f ~= nil
  local err
  if not f then f, err = load(code, "=stdin", "t", _G) end
  if not f then
    -- more lines to come when reading stopped at the end (`for i = 1, 2 do`, `x =`, `1 +`)
    local _, rerr = load("return " .. code, "=stdin", "t", _G)
    if err:match("<eof>$") or (rerr and rerr:match("<eof>$")) then return "incomplete" end
    out(err)
    return true
  end
  local trace
  local r = pack(xpcall(f, function(e)
    trace = debug.traceback("", 2)
    return e
  end, pack))
  if not r[1] then
    out(repl.error_text(r[2], trace))
    return true
  end
  local values = as_expression and r[2] or { n = 0 }
  if values.n > 0 then
    local parts = {}
    for i = 1, values.n do parts[#parts + 1] = shown(values[i]) end
    out(table.concat(parts, "\t"))
  end
  return true
end

-- Words that, with a quoted string on the same line, mean a credential was typed.
local CREDENTIAL_WORDS = { "password", "passwd", "secret", "two_factor", "apitoken", "token =", "token=" }

-- A line worth keeping out of the history file: one holding a known secret, a
-- quoted run of 20+ letters and digits (a token or key typed in by hand), or
-- a quoted string next to a credential's name (`password = "..."`).
function repl.private_line(line, secrets)
  for _, s in ipairs(secrets or {}) do
    if type(s) == "string" and #s >= 8 and line:find(s, 1, true) then return true end
  end
  for quoted in line:gmatch("[\"']([%w]+)[\"']") do
    if #quoted >= 20 then return true end
  end
  if line:find("[\"'%[]") then
    local lower = line:lower()
    for _, w in ipairs(CREDENTIAL_WORDS) do
      if lower:find(w, 1, true) then return true end
    end
  end
  return false
end

-- The terminal's height, for how many rows a list shows before "... N more".
local function terminal_rows()
  local p = io.popen("{ stty size </dev/tty; } 2>/dev/null")
  if not p then return nil end
  local rows = tonumber((p:read("*l") or ""):match("^(%d+)"))
  p:close()
  return rows
end

local HISTORY_KEPT = 1000

-- The history file: made 0600 if new, cut to its last HISTORY_KEPT lines, and
-- opened for appending, so each line is kept as soon as it is typed (an
-- os.exit() loses nothing). Returns its path and the append handle.
local function history_file(getenv)
  local path = getenv("MISTAPI_HISTORY")
  if not path or path == "" then
    local home = getenv("HOME")
    if not home or home == "" then return nil end
    path = home .. "/.mistapi_history"
  end
  local core = require "mistapi.core"
  local made = core.create_private_file(path)
  if made then made:close() end   -- an existing file is kept as it is
  local old = io.open(path, "r")
  if old then
    local lines = {}
    for line in old:lines() do lines[#lines + 1] = line end
    old:close()
    if #lines > 2 * HISTORY_KEPT then
      local cut = io.open(path, "w")
      if cut then
        cut:write(table.concat(lines, "\n", #lines - HISTORY_KEPT + 1), "\n")
        cut:close()
      end
    end
  end
  return path, io.open(path, "a")
end

-- Line input: readline on a terminal, else plain lines.
local function line_reader(getenv, secrets)
  local is_tty = os.execute("[ -t 0 ]")
  is_tty = is_tty == true or is_tty == 0
  local ok, rl = false, nil
  if is_tty then ok, rl = pcall(require, "readline") end
  if not ok then
    return function(prompt)
      if is_tty then io.write(prompt); io.flush() end
      return io.read("*l")
    end, is_tty
  end
  local path, log = history_file(getenv)
  repl.history_path = path
  rl.set_options { histfile = path or "", keeplines = HISTORY_KEPT, auto_add = false, completion = true }
  rl.set_readline_name("mistapi")
  rl.set_complete_function(function(text, from, to)
    -- readline sets a space to follow each completion before every call: no
    -- space after `tokens:list_org_api_tokens(` or `res.data`
    rl.set_completion_append_character("")
    local word = complete.word_at(text:sub(1, to))
    local matches = complete.candidates(word, _G)
    local cut = from - (to - #word + 1)   -- readline's word may start later than ours
    if cut > 0 then
      for i, m in ipairs(matches) do matches[i] = m:sub(cut + 1) end
    end
    return matches
  end)
  return function(prompt)
    local line = rl.readline(prompt)
    if line and line:match("%S") and not repl.private_line(line, secrets) then
      rl.add_history(line)
      if log then
        log:write(line:gsub("\n", " "), "\n")
        log:flush()
      end
    end
    return line
  end, true
end

--- The REPL's printer: the client's own credentials never reach the screen,
-- however they are asked for, nor does a control character or an escape
-- sequence a server sent (mistapi.text's rule, line breaks and tabs kept).
-- @param secrets array of strings to hide
-- @param write optional: where the text goes (default print)
function repl.printer(secrets, write)
  write = write or print
  return function(s) write(text_rule.lines(text_rule.redact(tostring(s), secrets))) end
end

--- Runs the session until end of input (Ctrl-D) or os.exit().
-- @param getenv the environment lookup (default os.getenv)
-- @param client optional: the client to use (the CLI makes it from its options)
-- @param known optional: secrets the caller knows of (a --token-file token), kept out of the history
function repl.main(getenv, client, known)
  getenv = getenv or os.getenv
  client = repl.start(getenv, client)
  if not client then return 2 end
  display.rows = math.max(5, (terminal_rows() or 24) - 6)
  local secrets = {}
  for _, v in ipairs(known or {}) do secrets[#secrets + 1] = v end
  for _, v in ipairs(client.settings.tokens or {}) do secrets[#secrets + 1] = v end
  if client.settings.password then secrets[#secrets + 1] = client.settings.password end
  for _, name in ipairs { "MIST_APITOKEN", "MIST_API_TOKEN", "MIST_PASSWORD" } do
    local v = getenv(name)
    if v then
      for part in v:gmatch("[^,%s]+") do secrets[#secrets + 1] = part end
    end
  end
  local read, interactive = line_reader(getenv, secrets)
  local show = repl.printer(secrets)
  -- a stray Ctrl-C must not end the session (nor cut a call in half): Ctrl-U
  -- clears a line, Ctrl-D leaves
  local core = require "mistapi.core"
  local was_ignored = interactive and core.ignore_interrupt(true)
  local chunk
  while true do
    local line = read(chunk and ">> " or "mistapi> ")
    if line == nil then break end
    chunk = chunk and (chunk .. "\n" .. line) or line
    if repl.eval(chunk, show) ~= "incomplete" then chunk = nil end
    io.stdout:flush()
  end
  io.write("\n")
  if interactive then core.ignore_interrupt(was_ignored) end
  client:close()
  return 0
end

return repl
