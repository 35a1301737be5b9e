-- Shell and file helpers shared by the specs and their support modules.
--   local shell = require "support.shell"
--   shell.quote(s)          -- s as one single-quoted shell word
--   shell.try_read(path)    -- the file's bytes, or nil, io.open's message
--   shell.read_file(path)   -- the same, or "" (a missing log reads as empty)
--   shell.exists(path)      -- can it be opened for reading?
--   shell.unused_path()     -- a temp file's name with no file there (for a create to make)
--   shell.mode(path)        -- the file's permission bits as stat prints them ("600")
--   shell.client_env(e)     -- shell text: a client's MIST_ variables from an
--                           -- emulator's 0600 env file (no token on a command line)
--   shell.capture(cmd)      -- runs cmd -> { status =, out =, err = }
--   shell.private_dir()     -- a new empty temp directory, mode 0700 -> its path
--   shell.remove_tree(path) -- rm -rf path (nil: nothing)
--   shell.CLI               -- the path of bin/mistapi-tokens in the tree under test
--   shell.run_cli(e, argv, extra_env)
--                           -- runs `mistapi-tokens argv` (shell text) with emulator
--                           -- e's client_env (e nil: none); extra_env is shell
--                           -- text put just before the command -> as capture
-- Works on Lua 5.1, 5.4 and LuaJIT.
local M = {}

function M.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

function M.try_read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("*a")
  f:close()
  return s
end

function M.read_file(path)
  return M.try_read(path) or ""
end

function M.exists(path)
  local f = io.open(path, "r")
  if not f then return false end
  f:close()
  return true
end

function M.unused_path()
  local p = os.tmpname()
  os.remove(p)
  return p
end

function M.mode(path)
  local p = assert(io.popen("stat -c %a " .. M.quote(path)))
  local m = p:read("*l")
  p:close()
  return m
end

function M.client_env(e)
  return ("set -a; . %s/env; set +a; export MIST_BASE_URL=$MIST_EMU_URL MIST_APITOKEN=$MIST_EMU_TOKEN "
    .. "MIST_ORG_ID=$MIST_EMU_ORG_ID; "):format(M.quote(e.dir))
end

-- stdout and stderr each to a temp file, read back whole; status from `echo $?`.
function M.capture(cmd)
  local out, err = os.tmpname(), os.tmpname()
  local p = assert(io.popen(("%s >%s 2>%s; echo $?"):format(cmd, M.quote(out), M.quote(err))))
  local status = tonumber(p:read("*a"):match("%d+"))
  p:close()
  local r = { status = status, out = M.read_file(out), err = M.read_file(err) }
  os.remove(out)
  os.remove(err)
  return r
end

-- (os.execute answers true on 5.4, 0 on LuaJIT)
function M.private_dir()
  local dir = M.unused_path()
  local r = os.execute("mkdir -m 700 " .. M.quote(dir))
  assert(r == true or r == 0, "mkdir " .. dir)
  return dir
end

function M.remove_tree(path)
  if path then os.execute("rm -rf " .. M.quote(path)) end
end

M.CLI = (os.getenv("PWD") or ".") .. "/bin/mistapi-tokens"

function M.run_cli(e, argv, extra_env)
  local env = e and M.client_env(e) or ""
  return M.capture(("%s%s %s %s"):format(env, extra_env or "", M.quote(M.CLI), argv))
end

return M
