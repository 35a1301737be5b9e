--- One rotation at a time: a lock per key file (`F.lock`, beside it), or,
-- for a key written to standard output, per token (under
-- `$XDG_RUNTIME_DIR`, else `/tmp`, named with the user's uid, the org and
-- the token id). A second run of the same rotation (a cron job that
-- overlaps the last one, two operators) is refused before it sends
-- anything, instead of making a second new token. The lock is the C core's
-- (`core.lock_file`: flock, never waits, O_NOFOLLOW, 0600); it is released
-- and its file removed when the run ends (or the process does).
-- @module mistapi.cli.lock

local core = require "mistapi.core"

local lock = {}

local function holder(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local pid = f:read("*l")
  f:close()
  return pid and pid:match("^%d+$")
end

--- The lock's path for a rotation of token `id` whose key goes to `key_path`.
-- @param key_path the --key-file ("-" for standard output)
-- @param scope the org id, or "self" for the user's own tokens
-- @param id the token's id
-- @param getenv the environment
function lock.path_for(key_path, scope, id, getenv)
  if key_path ~= "-" then return key_path .. ".lock" end
  local dir = getenv and getenv("XDG_RUNTIME_DIR")
  if not dir or dir == "" or not dir:match("^/") then dir = "/tmp" end
  return ("%s/mistapi-tokens-%d-rotate-%s-%s.lock"):format(dir, core.getuid(),
    tostring(scope):gsub("[^%w%-]", "_"), tostring(id):gsub("[^%w%-]", "_"))
end

--- Takes the lock at `path`, or says why not.
-- @param path the lock file
-- @param what the run it guards, for the message ("rotation of token ID")
-- @return a handle with `unlock()`, or nil, the message, and whether another run holds it
function lock.take(path, what)
  local h, msg, code = core.lock_file(path)
  if h then return h end
  if code == 11 then   -- EAGAIN: held by another process
    local pid = holder(path)
    return nil, ("another %s is running and holds its lock %s%s; nothing was changed: wait for it to end,"
      .. " then run the same command again"):format(what, path, pid and (" (pid " .. pid .. ")") or ""), true
  end
  -- ENOENT, ENOTDIR: said in the words the key file's own check uses
  local why = (code == 2 or code == 20) and "no such directory" or tostring(msg):lower()
  return nil, ("cannot take the lock %s: %s"):format(path, why), false
end

--- Runs `fn()` holding the lock at `path`; the lock is released whatever
-- `fn` does (a Lua error is raised again once it is).
-- @return fn's status, or nil, the message and whether another run holds it
function lock.around(path, what, fn)
  local h, msg, busy = lock.take(path, what)
  if not h then return nil, msg, busy end
  local ok, status = pcall(fn)
  h:unlock()
  if not ok then error(status, 0) end
  return status
end

--- A command's `run` that holds the lock of an apply while it runs: a
-- second apply of the same key dir (or, with none, of the same org) is
-- refused (exit 75) before it plans.
-- @param what the command ("apply")
-- @param run the command's run(ctx, o)
function lock.guard(what, run)
  return function(ctx, o)
    local dir = o["key-dir"]
    if dir and core.path_kind(dir) ~= "directory" then dir = nil end   -- the command says what is wrong with it
    local path = dir and (dir:gsub("/+$", "") .. "/.mistapi-tokens-" .. what .. ".lock")
      or lock.path_for("-", ctx.org or "self", what, ctx.getenv)
    local status, msg, busy = lock.around(path, what .. " of " .. (dir and ("--key-dir " .. dir) or "this org"),
      function() return run(ctx, o) end)
    if status then return status end
    if not busy then return ctx.usage(msg) end
    ctx.err("mistapi-tokens: " .. msg)
    return ctx.BUSY
  end
end

return lock
