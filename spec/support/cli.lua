-- mistapi-tokens run in this process (mistapi.cli.main.run, as
-- bin/mistapi-tokens does) against an emulator: the environment it reads is
-- the emulator's only (getenv, not the machine's), its output collected.
--   local cli = require "support.cli"
--   local r = cli.run(e, { "rotate", "--key-file", path }, { token = key })
--   -- r.status, r.out, r.err
-- opts, each optional:
--   token    MIST_APITOKEN instead of e.token
--   env      more variables, or false to leave one out ({ MIST_ORG_ID = false })
--   answer   what a question on the terminal is answered; given, stdin is a
--            terminal (isatty), else there is none
--   stdout   the writer of standard output, instead of the collecting one
--   secrets  strings none of which may be in the output (asserted)
--   terminal standard output and error are a terminal (a progress bar's place); else neither is
local main = require "mistapi.cli.main"
local luassert = require "luassert"

local M = {}

function M.run(e, argv, opts)
  opts = opts or {}
  local env = { MIST_BASE_URL = e.url, MIST_APITOKEN = opts.token or e.token, MIST_ORG_ID = e.org_id }
  for k, v in pairs(opts.env or {}) do env[k] = v ~= false and v or nil end
  local answer = opts.answer
  local out, err = {}, {}
  local status = main.run(argv, {
    getenv = function(k) return env[k] end,
    stdout = opts.stdout or function(s) out[#out + 1] = s; return true end,
    stderr = function(s) err[#err + 1] = s end,
    stdin = function() return answer end,
    isatty = function() return answer ~= nil end,
    is_terminal = function() return opts.terminal == true end,
  })
  local r = { status = status, out = table.concat(out), err = table.concat(err) }
  for _, s in ipairs(opts.secrets or {}) do
    luassert.is_nil((r.out .. r.err):find(s, 1, true), "a secret in the output")
  end
  return r
end

return M
