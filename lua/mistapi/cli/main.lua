--- `mistapi-tokens`: the Org API Tokens from a shell. `run` does the whole
-- command and returns the exit status, so specs call it like the script.
-- The commands themselves are modules listed in `mistapi.cli.registry`;
-- this file parses, makes the client and turns failures into exit codes
-- (listed in `mistapi.cli.usage.EXIT_TEXT`).
-- @module mistapi.cli.main

local args = require "mistapi.cli.args"
local usage = require "mistapi.cli.usage"
local secrets = require "mistapi.cli.secrets"
local text_rule = require "mistapi.text"
local cli_words = require "mistapi.cli.words"

local main = {}

local EXIT = { ok = 0, declined = 1, usage = 2, validation = 3, client = 4, server = 5, lifecycle = 6,
  stale = 7, internal = 70, output = 74, busy = 75 }
main.EXIT = EXIT

--- The text of `--help` (made from the registry).
function main.usage() return usage.main() end

-- The exit status of a mistapi error.
function main.status_of(err)
  if err.kind == "validation" then return EXIT.validation end
  if err.kind == "lifecycle" then return EXIT.lifecycle end
  if err.kind == "stale" then return EXIT.stale end
  if err.kind == "http" and err.status and err.status >= 400 and err.status < 500 then return EXIT.client end
  return EXIT.server
end

-- An error in the CLI's words: no "mistapi:" prefix, and no library calling
-- convention (`pass token = ...`, `allow_self`, `load`) where a shell user
-- has other means (mistapi.cli.words).
local function describe(err, command)
  local text = cli_words.error_text(err):gsub("^mistapi: ", "")
  if err.kind == "validation" and text:find("no API token", 1, true) then
    return "no API token: set MIST_APITOKEN, use --token-file FILE, or put MIST_APITOKEN in --env-file FILE"
      .. " (looked in: $MIST_APITOKEN, $MIST_API_TOKEN, $MIST_USER/$MIST_PASSWORD, "
      .. (err.looked_in and ("the env file " .. err.looked_in) or "no env file") .. ")"
  end
  return cli_words.cli(text, command)
end
main.describe = describe

local function version_text()
  local mistapi = require "mistapi"
  local ok, core = pcall(require, "mistapi.core")
  local curl = ok and core.curl_version and core.curl_version() or "?"
  return ("mistapi-tokens %s (mistapi %s, %s, libcurl %s)"):format(mistapi._VERSION, mistapi._VERSION,
    _VERSION, curl)
end

-- The API token of --token-file: the first line of the file, or of standard input for "-".
local function read_token_file(path, stdin)
  local text
  if path == "-" then
    text = stdin()
  else
    local f, err = io.open(path, "r")
    if not f then
      return nil, ("--token-file %s: %s"):format(path, (tostring(err):gsub("^[^:]*: ", ""):lower()))
    end
    text = f:read("*l")
    f:close()
  end
  local token = text and text:match("^%s*(%S+)%s*$")
  if not token then return nil, "--token-file " .. path .. ": no token in it (one line, the token alone)" end
  return token
end

-- The CA bundle: --ca-file, else the variables curl's own command honours
-- (a TLS-inspecting proxy's CA is usually given that way), else the system's.
-- A file that can't be read is refused here, naming where it came from, even
-- for a plain-http host that would never read it.
local function ca_file_of(o, getenv)
  local path, from = o["ca-file"], "--ca-file"
  if path == nil then
    for _, name in ipairs({ "CURL_CA_BUNDLE", "SSL_CERT_FILE" }) do
      local v = getenv(name)
      if v and v ~= "" then path, from = v, "$" .. name; break end
    end
  end
  if path == nil then return nil end
  local f, err = io.open(path, "r")
  if not f then
    return nil, ("%s %s: %s"):format(from, path, (tostring(err):gsub("^[^:]*: ", ""):lower()))
  end
  f:close()
  return path
end

-- The library resolves the rest (MIST_HOST, MIST_BASE_URL, MIST_ENV_FILE, MIST_ORG_ID...).
local function client_for(o, env, token, log, ca_file)
  local mistapi = require "mistapi"
  return mistapi.new { base_url = o["base-url"], host = o.host, cloud = o.cloud, getenv = env.getenv,
                       env_file = o["env-file"],
                       token = token, org_id = o.org, max_retries = o["max-retries"], timeout = o.timeout,
                       ca_file = ca_file, log = log, budget = o.budget, budget_limit = o["budget-limit"],
                       budget_window = o["budget-window"] }
end

-- The log hook of a run: a warning (a shared budget that failed) always,
-- with --debug a line for each attempt too; nil when there is nothing to say.
local function log_hook(ctx, o, env)
  local budget = o.budget or env.getenv("MIST_BUDGET")
  if not o.debug and (budget == nil or budget == "" or budget == "memory:") then return nil end
  return function(e)
    if e.warning then
      ctx.err("mistapi-tokens: warning: " .. secrets.scrub(e.warning, ctx.secrets))
    elseif o.debug then
      ctx.debug_line(e)
    end
  end
end

-- The --debug line of one attempt, with every secret the run knows taken out.
local function debug_hook(ctx, known)
  return function(e)
    local outcome = e.status and tostring(e.status) or (e.error or "failed")
    local host = ctx.client and ctx.client.settings.base_url or ""
    local line = ("%s %s%s -> %s in %.3f s (attempt %d)"):format(e.method or "?", host, e.path or "?", outcome,
      e.duration or 0, e.attempt or 1)
    ctx.err("mistapi-tokens: debug: " .. secrets.scrub(line, known))
  end
end

local function make_ctx(env)
  local ctx = { OK = EXIT.ok, BUSY = EXIT.busy, STALE = EXIT.stale, getenv = env.getenv, now = env.now }
  -- every line for people passes the one character rule here, whatever a
  -- command built it from (fields are cleaned where they are laid out too)
  -- a line that goes nowhere (a full disk, a closed pipe) is remembered: main.run
  -- then doesn't end with 0, so a report nobody got isn't taken for one delivered
  function ctx.out(s)
    local ok, err = env.stdout(text_rule.lines(s) .. "\n")
    if (ok == false or (ok == nil and err ~= nil)) and not ctx.lost then ctx.lost = err or "write failed" end
    return EXIT.ok
  end
  --- Writes to standard output and says whether it worked (a key must not go nowhere).
  -- @return true, or nil and a message
  function ctx.write(s)
    local ok, err = env.stdout(s)
    if ok == false or (ok == nil and err ~= nil) then return nil, err or "write failed" end
    return true
  end
  function ctx.err(s) env.stderr(text_rule.lines(s) .. "\n") end
  function ctx.usage(msg)
    ctx.err("mistapi-tokens: " .. msg .. " (mistapi-tokens --help shows the usage)")
    return EXIT.usage
  end
  -- an answer or a failure of the API names the host it came from: which
  -- cloud said 401 is the first thing to know
  local FROM_HOST = { http = true, transport = true, timeout = true, decode = true }
  -- where: what failed, when a run has several ("org ID")
  function ctx.fail(err, msg, where)
    local line = msg or describe(err, ctx.command)
    if not msg and type(err) == "table" and FROM_HOST[err.kind] and ctx.client then
      line = line .. " (" .. ctx.client.settings.base_url .. ")"
    end
    ctx.err("mistapi-tokens: " .. (where and (where .. ": ") or "") .. cli_words.line(line, ctx.secrets))
    return main.status_of(err)
  end
  -- a progress line redrawn in place (mistapi.cli.fleet), only where a person watches
  ctx.is_terminal, ctx.progress_write = env.is_terminal, env.stderr
  --- Asks a yes/no question on the terminal; only "y" or "yes" goes on.
  -- @return true, or false and the exit status to end with
  function ctx.confirm(question)
    if not env.isatty() then
      -- the question up to its last "?" (a cleaned name may hold "?" of its own)
      ctx.err("mistapi-tokens: " .. (question:match("^(.*)%?") or question) .. ": standard input is not a terminal,"
        .. " so nobody can confirm; pass --yes to do it anyway")
      return false, EXIT.usage
    end
    env.stderr(text_rule.lines(question) .. " [y/N] ")
    local answer = env.stdin()
    if answer and (answer:lower():match("^%s*y%s*$") or answer:lower():match("^%s*yes%s*$")) then
      return true
    end
    ctx.err("mistapi-tokens: not done")
    return false, EXIT.declined
  end
  return ctx
end

local function default_env(env)
  env = env or {}
  return {
    getenv = env.getenv or os.getenv,
    stdout = env.stdout or function(s)
      local ok, err = io.stdout:write(s)
      if ok then ok, err = io.stdout:flush() end
      if not ok then return nil, err end
      return true
    end,
    stderr = env.stderr or function(s) io.stderr:write(s) end,
    stdin = env.stdin or function() return io.stdin:read("*l") end,
    isatty = env.isatty or function()
      local ok = os.execute("[ -t 0 ]")
      return ok == true or ok == 0
    end,
    now = env.now or os.time,
    -- are standard output and standard error both a terminal? (a progress bar's place)
    is_terminal = env.is_terminal or function()
      local ok = os.execute("[ -t 1 ] && [ -t 2 ]")
      return ok == true or ok == 0
    end,
  }
end

-- Runs a parsed command: resolves the org and the client it declares it needs.
local function dispatch(ctx, o, env)
  local cmd = o.cmd
  if cmd.client == false then return cmd.run(ctx, o) end
  local token
  if o["token-file"] then
    local terr
    token, terr = read_token_file(o["token-file"], env.stdin)
    if not token then return ctx.usage(terr) end
  end
  local ca_file, caerr = ca_file_of(o, env.getenv)
  if caerr then return ctx.usage(caerr) end
  ctx.secrets = secrets.known(env.getenv, token)
  ctx.debug_line = debug_hook(ctx, ctx.secrets)
  local client, cerr = client_for(o, env, token, log_hook(ctx, o, env), ca_file)
  if not client then
    if cerr.kind == "validation" then
      ctx.err("mistapi-tokens: " .. describe(cerr))
      return EXIT.usage
    end
    return ctx.fail(cerr)
  end
  ctx.client, ctx.command = client, o.command
  if cmd.fleet and require("mistapi.cli.fleet").wanted(o) then
    ctx.fleet = true   -- several orgs: the command's fleet run finds them
  elseif cmd.org then
    ctx.org = client.settings.org_id
    if not ctx.org or ctx.org == "" then
      client:close()
      return ctx.usage("no org: pass --org ID or set MIST_ORG_ID")
    end
  end
  if o.id and not cmd.id_is_name then
    -- a NAME for an ID: the command then works on that token's id
    local token_ref = require "mistapi.cli.token_ref"
    if not token_ref.is_id(o.id) then
      local id, name_or_err = token_ref.resolve(ctx, o.id,
        { own = o.command:find("^self ") ~= nil, retired = o.finish == true })
      if not id then
        client:close()
        return ctx.fail(name_or_err)
      end
      o.id, o.name_given = id, name_or_err
    end
  end
  local ok, status = pcall(cmd.run, ctx, o)
  client:close()
  if not ok then error(status, 0) end
  return status
end

--- Runs one command line.
-- @param argv the arguments, without the program name
-- @param env optional { getenv =, stdout =, stderr = (write(text) functions; stdout's `nil, message`
--   says it failed), stdin = (reads a line),
--   isatty = (is standard input a terminal?), now = (epoch seconds),
--   is_terminal = (are standard output and error terminals? a progress bar's place) }
-- @return the exit status
function main.run(argv, env)
  env = default_env(env)
  local ctx = make_ctx(env)
  if argv[1] == "__complete" then   -- the bash completion script asks this
    local words = {}
    for i = 2, #argv do words[#words + 1] = argv[i] end
    local complete = require "mistapi.cli.complete"
    for _, w in ipairs(complete.candidates(words)) do ctx.out(w) end
    return EXIT.ok
  end
  local o, perr = args.parse(argv)
  if not o then
    local status = ctx.usage(perr)
    for _, a in ipairs(argv) do
      if a == "--detailed-exitcode" then return 1 end
    end
    return status
  end
  if o.version then return ctx.out(version_text()) end
  if o.help then
    if o.command or o.args[1] then
      local words = {}
      for w in (o.command or ""):gmatch("%S+") do words[#words + 1] = w end
      for _, w in ipairs(o.args) do words[#words + 1] = w end
      local text, err = usage.command(words[1], words[2])
      if not text then return ctx.usage(err) end
      return ctx.out(text)
    end
    return ctx.out(usage.main())
  end
  local status = dispatch(ctx, o, env)
  if ctx.lost and status == EXIT.ok then
    ctx.err("mistapi-tokens: standard output: " .. tostring(ctx.lost) .. "; what the command printed is lost")
    status = EXIT.output
  end
  -- terraform's convention: 0 nothing to change, 2 changes, 1 any error
  if o["detailed-exitcode"] then
    if status ~= EXIT.ok then return 1 end
    return ctx.changes and 2 or 0
  end
  return status
end

-- Standard output closed (`>&-`): descriptor 1 is taken by /dev/null at once,
-- so that no file or socket opened later becomes "standard output" and gets a
-- key, and every write to it fails. -> an env for main.run, or nil
local function closed_stdout()
  local EBADF = 9
  if select(3, io.stdout:seek("cur")) ~= EBADF then return nil end
  for _ = 1, 3 do   -- the lowest free descriptors: 0 and 2 may be closed too
    main.held_fds = main.held_fds or {}
    main.held_fds[#main.held_fds + 1] = io.open("/dev/null", "r+")
    if select(3, io.stdout:seek("cur")) ~= EBADF then break end
  end
  return { stdout = function() return nil, "standard output is closed" end }
end

--- Runs `run` for the script: a Lua error (a bug) becomes one line and exit 70.
function main.main(argv)
  -- a key written to a closed pipe must fail (EPIPE), not kill us half-way through a rotation
  pcall(function() require("mistapi.core").ignore_sigpipe() end)
  local ok, status = pcall(main.run, argv, closed_stdout())
  if ok then return status end
  local text = secrets.scrub(status, secrets.known(os.getenv))
  io.stderr:write("mistapi-tokens: internal error (please report it): ", text, "\n")
  return EXIT.internal
end

return main
