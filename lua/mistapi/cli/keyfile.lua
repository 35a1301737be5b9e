--- The key-file option: the new key goes to a file only its owner can read.
-- The file is made empty with mode 0600 before the token is created (so a
-- path that can't be written fails before anything is sent) and never
-- replaces an existing file. Plain Lua can't set a mode at creation, and
-- Debian's lua-posix has no Lua 5.4 build, so the shell makes the file
-- (umask 077, noclobber); the key itself never passes through a command line.
-- @module mistapi.cli.keyfile

local keyfile = {}

local function quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- Creates PATH empty with mode 0600; it must not exist yet.
-- @return true, or nil and a message
function keyfile.prepare(path)
  if path == "" then return nil, "--key-file needs a path" end
  local existing = io.open(path, "r")
  if existing then
    existing:close()
    return nil, ("--key-file %s: the file exists; not overwriting it"):format(path)
  end
  local ok = os.execute("umask 077 && set -C && : > " .. quote(path) .. " 2>/dev/null")
  if ok ~= true and ok ~= 0 then
    return nil, ("--key-file %s: cannot create the file"):format(path)
  end
  return true
end

--- Writes the key into the file made by `prepare`.
function keyfile.write(path, key)
  local f, err = io.open(path, "w")
  if not f then return nil, "--key-file: " .. tostring(err) end
  local ok, werr = f:write(key, "\n")
  local closed, cerr = f:close()
  if not ok or not closed then return nil, "--key-file: " .. tostring(werr or cerr) end
  return true
end

--- Removes the file `prepare` made, when the token could not be created.
function keyfile.discard(path)
  os.remove(path)
end

return keyfile
